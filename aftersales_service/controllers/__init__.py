from . import portal
from . import public
from . import visit_portal
from . import contract_portal
from . import price_list

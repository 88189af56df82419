from . import portal
from . import public
from . import visit_portal

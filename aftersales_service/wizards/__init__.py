from . import aftersales_ticket_owner_wizard
from . import aftersales_ticket_transfer_wizard

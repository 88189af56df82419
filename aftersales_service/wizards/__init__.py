from . import aftersales_ticket_owner_wizard
from . import aftersales_ticket_transfer_wizard
from . import aftersales_callback_outcome_wizard
from . import aftersales_part_consume_wizard
from . import aftersales_part_consume_wizard_line
from . import aftersales_kpi_workbook_wizard
from . import aftersales_carry_in_wizard

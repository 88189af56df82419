from . import aftersales_sla_report
from . import aftersales_callback_report
from . import aftersales_kpi_report

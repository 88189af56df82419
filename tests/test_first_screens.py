"""The first screens at scale: every call the web client makes to open the
Tickets kanban and the Service Levels and KPI pivots costs a fixed number of
queries, whatever the number of cards; the pivots' SQL reads the period
they show through indexes, never the whole history first
(benchmarks/bench_kanban.py measures them at 1,000,000 tickets)."""

from datetime import datetime, timedelta

from odoo.tests import users
from odoo.tools import SQL

from .common import AftersalesCase

# fields mail's kanban_activity widget adds to the card's specification
ACTIVITY_DEPENDENCIES = {
    "activity_exception_decoration": {},
    "activity_exception_icon": {},
    "activity_state": {},
    "activity_summary": {},
    "activity_type_icon": {},
    "activity_type_id": {"fields": {"display_name": {}}},
}


def current_month():
    start = datetime.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(seconds=1)
    return start, end


class TestFirstScreens(AftersalesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["aftersales.ticket"].create(cls._batch_vals(6))

    @classmethod
    def _batch_vals(cls, count):
        partners = [cls.customer, cls.customer_other, cls.customer_vip_contact]
        return [
            cls._ticket_vals(
                partner_id=partners[i % 3].id,
                priority=str(i % 3),
                stage_id=(cls.stage_new, cls.stage_diagnosis)[i % 2].id,
            )
            for i in range(count)
        ]

    def _add_tickets(self, count):
        tickets = self.env["aftersales.ticket"].sudo().create(self._batch_vals(count))
        for ticket in tickets[::2]:
            ticket.activity_schedule(
                "mail.mail_activity_data_todo", user_id=self.user_manager.id
            )
        return tickets

    def _kanban_spec(self):
        """The card's specification as the web client builds it: the view's
        fields (a many2one's display name) and the widgets' dependencies."""
        Ticket = self.env["aftersales.ticket"]
        fields = Ticket.get_views([(False, "kanban")])["models"]["aftersales.ticket"][
            "fields"
        ]
        spec = {}
        for name in fields:
            field = Ticket._fields[name]
            if field.type == "many2one":
                spec[name] = {"fields": {"display_name": {}}}
            elif field.type in ("one2many", "many2many"):
                spec[name] = {"fields": {}}
            else:
                spec[name] = {}
        self.assertIn("activity_ids", spec, "the card shows the activities")
        spec.update(ACTIVITY_DEPENDENCIES)
        return spec

    def _kanban_first_screen(self):
        """Columns, traffic-light bars and 40 cards per open column."""
        Ticket = self.env["aftersales.ticket"].with_context(hierarchical_naming=False)
        domain = [("is_closed", "=", False)]
        spec = self._kanban_spec()
        groups = Ticket.web_read_group(
            domain, ["stage_id"], ["stage_id"], limit=80, lazy=True
        )["groups"]
        Ticket.read_progress_bar(
            domain,
            "stage_id",
            {"field": "traffic_light", "colors": {"red": "danger"}},
        )
        cards = 0
        for group in groups:
            if group.get("__fold") or not group["stage_id"]:
                continue
            cards += len(
                Ticket.web_search_read(
                    domain + [("stage_id", "=", group["stage_id"][0])],
                    spec,
                    limit=40,
                )["records"]
            )
        return cards

    def _queries(self, func):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        result = func()
        return self.cr.sql_log_count - before, result

    @users("as_manager")
    def test_kanban_first_screen_query_count(self):
        """Two open columns: 3 queries for the columns, 2 for the bars, 18
        per column (cards, their activities, customers, addresses, teams,
        owners, technicians, the column's count); none per card."""
        self._add_tickets(4)
        self._kanban_first_screen()  # warm up view and access caches
        self.env.invalidate_all()
        with self.assertQueryCount(as_manager=41):
            self.assertEqual(self._kanban_first_screen(), 10)
        few, __ = self._queries(self._kanban_first_screen)
        self._add_tickets(60)
        many, cards = self._queries(self._kanban_first_screen)
        self.assertEqual(cards, 70)
        self.assertEqual(many, few, "70 cards cost the queries of 10 cards")

    def _pivot_first_load(self, model, date_field, rows, cols, measures):
        """The pivot's first load: one read_group per row and column prefix,
        on the action's default filter (the current month)."""
        Model = self.env[model]
        start, end = current_month()
        domain = [(date_field, ">=", start), (date_field, "<=", end)]
        specs = [f"{m}:{Model._fields[m].aggregator or 'sum'}" for m in measures]
        results = []
        for i in range(len(rows) + 1):
            for j in range(len(cols) + 1):
                results.append(
                    Model.read_group(domain, specs, rows[:i] + cols[:j], lazy=False)
                )
        return results

    def _sla_pivot(self):
        return self._pivot_first_load(
            "aftersales.sla.report",
            "start_date",
            ["team_id"],
            ["target_type"],
            ["compliance", "elapsed_hours", "median_hours", "p90_hours"],
        )

    def _kpi_pivot(self):
        return self._pivot_first_load(
            "aftersales.kpi.report",
            "date",
            ["team_id"],
            ["date:month"],
            [
                "ticket_count",
                "response_hours",
                "resolution_hours",
                "first_time_fix",
                "sla_compliance",
                "satisfaction",
            ],
        )

    @users("as_manager")
    def test_sla_pivot_query_count(self):
        """One query per read_group, one more for the teams' names."""
        self._sla_pivot()
        self.env.invalidate_all()
        with self.assertQueryCount(as_manager=6):
            total = self._sla_pivot()[0][0]
        self.assertGreaterEqual(total["__count"], 6, "the month's SLA lines")

    @users("as_manager")
    def test_kpi_pivot_query_count(self):
        """One query per read_group, one more for the teams' names and one
        for the language the months are named in."""
        self._kpi_pivot()
        self.env.invalidate_all()
        with self.assertQueryCount(as_manager=7):
            total = self._kpi_pivot()[0][0]
        self.assertEqual(total["ticket_count"], 6, "the month's tickets")

    def _plan(self, model, domain, aggregates, groupby):
        """PostgreSQL's plan of the pivot's query, with sequential scans off
        so that the plan shows what would serve a large database."""
        Model = self.env[model]
        query = Model._search(domain)
        groupby_terms = {
            spec: Model._read_group_groupby(spec, query) for spec in groupby
        }
        select = [*groupby_terms.values()] + [
            Model._read_group_select(spec, query) for spec in aggregates
        ]
        sql = query.select(*select)
        sql = SQL("%s GROUP BY %s", sql, SQL(", ").join(groupby_terms.values()))
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        try:
            self.env.cr.execute(SQL("EXPLAIN %s", sql))
            return "\n".join(row[0] for row in self.env.cr.fetchall())
        finally:
            self.env.cr.execute("SET LOCAL enable_seqscan = on")

    def test_kpi_report_reads_the_lines_of_the_period_only(self):
        """The KPI report aggregates each ticket's SLA lines, callbacks,
        parts and visits through the tickets' foreign keys: a period filter
        reads the lines of that period's tickets, it does not group every
        line of the history first."""
        start, end = current_month()
        plan = self._plan(
            "aftersales.kpi.report",
            [("date", ">=", start), ("date", "<=", end)],
            ["sla_compliance:avg", "satisfaction:avg", "response_hours:avg"],
            ["team_id"],
        )
        self.assertIn("aftersales_ticket__received_date_index", plan)
        self.assertRegex(plan, r"Index Cond: \(ticket_id = t\.id\)")
        self.assertNotRegex(plan, r"Group Key: \w+\.ticket_id", plan)

    def test_sla_report_reads_the_period_through_an_index(self):
        start, end = current_month()
        plan = self._plan(
            "aftersales.sla.report",
            [("start_date", ">=", start), ("start_date", "<=", end)],
            ["compliance:avg", "median_hours:avg"],
            ["team_id"],
        )
        self.assertIn("aftersales_ticket_sla__start_date_index", plan)

/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// A manager opens the app on the team overview, sees their own day and a
// team's figures, and follows "At Risk" to the filtered ticket list.
registry.category("web_tour.tours").add("aftersales_overview_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            trigger: ".o_app[data-menu-xmlid='aftersales_service.menu_aftersales_root']",
            content: "Open the After-Sales app",
            run: "click",
        },
        {
            trigger: ".o_aftersales_my_day .o_aftersales_my_tickets",
            content: "The user's own day sits above the teams",
        },
        {
            trigger: ".o_aftersales_overview .o_kanban_record:contains('Hangzhou Point') a[name=action_overview_at_risk]:contains('1')",
            content: "One ticket of the point is at risk",
        },
        {
            trigger: ".o_aftersales_overview .o_kanban_record:contains('Hangzhou Point') a[name=action_overview_at_risk]",
            content: "Open the tickets at risk",
            run: "click",
        },
        {
            trigger: ".o_searchview .o_facet_value:contains('At Risk')",
        },
        {
            trigger: ".o_list_view .o_data_row:contains('Compressor trips')",
            content: "The list holds the ticket at risk",
        },
        {
            trigger: ".o_list_view:not(:has(.o_data_row:contains('Remote lost')))",
            content: "and not the one on time",
        },
    ],
});

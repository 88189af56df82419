/** @odoo-module **/

import { registry } from "@web/core/registry";

// The dispatcher plans an unplanned visit from the suggestion in one click,
// then finds it in the dispatch calendar with the team filters.
registry.category("web_tour.tours").add("aftersales_dispatch_tour", {
    steps: () => [
        {
            trigger: ".o_list_view .o_data_row:contains('Wu Customer')",
            content: "The visits without technician wait in the list",
        },
        {
            trigger: ".o_list_view .o_data_row:contains('Wu Customer') td[name=name]",
            content: "Open the visit",
            run: "click",
        },
        {
            trigger: ".o_form_view button[name=action_suggest_technician]",
            content: "Ask who to send",
            run: "click",
        },
        {
            trigger: ".modal .o_kanban_record:not(.o_kanban_ghost):eq(0):contains('Li Technician'):contains('Serves Test Zhejiang (Hangzhou Point)'):contains('Free in the window')",
            content: "The best candidate first, with the reasons",
        },
        {
            trigger: ".modal .o_kanban_record:contains('Wang Technician'):contains('Not certified for Air Conditioners')",
            content: "Why the others come after",
        },
        {
            trigger: ".modal .o_kanban_record:not(.o_kanban_ghost):eq(0) button[name=action_assign]",
            content: "Send Li in one click",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=technician_id] input:value(Li Technician)",
            content: "The visit has its technician",
        },
        {
            trigger: ".o_main_navbar .o_menu_sections button:contains('Field Service')",
            run: "click",
        },
        {
            trigger: ".o-dropdown--menu .o-dropdown-item:contains('Dispatch Calendar')",
            content: "The dispatch calendar",
            run: "click",
        },
        {
            trigger: ".o_calendar_view .o_calendar_filter:contains('Team')",
            content: "Filters per technician and per team",
        },
        {
            trigger: ".o_calendar_view .o_calendar_filter:contains('Technician')",
        },
    ],
});

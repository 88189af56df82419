/** @odoo-module **/

import { registry } from "@web/core/registry";

// The technician's day on a phone: today's visits in time order, each card
// with the time, the customer, the address and its map, the unit and what
// the customer reported; the customer's phone masked until revealed.
registry.category("web_tour.tours").add("aftersales_my_visits_tour", {
    steps: () => [
        {
            trigger: ".o_kanban_view .o_kanban_record:first:contains('Blows warm air')",
            content: "The earliest visit of the day comes first",
        },
        {
            trigger: ".o_kanban_view .o_kanban_record:not(.o_kanban_ghost):eq(1):contains('Water under the unit')",
            content: "The afternoon visit after it",
        },
        {
            trigger: ".o_kanban_record:first a[href^='https://www.openstreetmap.org/search?query=']:contains('88 Canal Street')",
            content: "Where to go, with a map link",
        },
        {
            trigger: ".o_kanban_record:first:contains('Air Conditioner X1'):contains('AC-0001')",
            content: "The unit and its serial",
        },
        {
            trigger: ".o_kanban_record:first:contains('138****5678')",
            content: "The customer's phone, masked",
        },
        {
            trigger: ".o_kanban_record:first button[name=action_reveal_phone]",
            content: "Reveal the phone before calling",
            run: "click",
        },
        {
            trigger: ".o_notification a[href='tel:13812345678']:contains('138 1234 5678')",
            content: "The full number, ready to dial",
        },
    ],
});

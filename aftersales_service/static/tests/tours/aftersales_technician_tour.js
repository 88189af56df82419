/** @odoo-module **/

import { registry } from "@web/core/registry";

// A technician's day on the phone: the app opens on their open tickets, the
// first column holds their work, the card shows what and where; on the
// ticket they say they are on site.
registry.category("web_tour.tours").add("aftersales_technician_tour", {
    steps: () => [
        {
            trigger: ".o_kanban_view .o_kanban_record:contains('Fridge leaks water')",
            content: "My tickets open first, with my work in view",
        },
        {
            trigger: ".o_kanban_record:contains('Fridge leaks water') a[href^='https://www.openstreetmap.org/search?query=']:contains('88 Canal Street')",
            content: "The card says where to go, with a map link",
        },
        {
            trigger: ".o_kanban_record:contains('Fridge leaks water') .o_aftersales_subject",
            content: "Open the ticket",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=subject] input:value(Fridge leaks water)",
        },
        {
            trigger: ".o_form_view a[href^='https://www.openstreetmap.org']",
            content: "The address and its map on the ticket",
        },
        {
            trigger: ".o_cp_action_menus button:has(.fa-cog)",
            content: "On a phone the ticket's actions sit under the cog",
            run: "click",
        },
        {
            trigger: ".o-dropdown--menu button[name=action_sla_register_arrival]",
            content: "On site",
            run: "click",
        },
        {
            trigger: ".o-mail-Message:contains('Technician on site')",
        },
    ],
});

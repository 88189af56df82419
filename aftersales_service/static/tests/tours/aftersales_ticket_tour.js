/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// An agent takes a phone contact: records the ticket, sees the customer's
// service notes, moves it to diagnosis and hands it over with a reason.
registry.category("web_tour.tours").add("aftersales_ticket_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            trigger: ".o_app[data-menu-xmlid='aftersales_service.menu_aftersales_root']",
            content: "Open the After-Sales app",
            run: "click",
        },
        {
            trigger: ".o_aftersales_overview",
            content: "The app opens on the team overview",
        },
        {
            trigger: ".o_main_navbar [data-menu-xmlid='aftersales_service.menu_aftersales_tickets']",
            content: "Go to the tickets",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu-xmlid='aftersales_service.menu_aftersales_ticket_my']",
            content: "My tickets",
            run: "click",
        },
        {
            trigger: ".o_breadcrumb:contains('My Tickets')",
        },
        {
            trigger: ".o_list_button_add",
            content: "Record a new contact",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=partner_id] input",
            content: "Pick the customer",
            run: "edit Wu Customer",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains('Wu Customer')",
            run: "click",
        },
        {
            trigger: ".alert-info:contains('Elderly at home, prefer mornings')",
            content: "The customer's service notes show at once",
        },
        {
            trigger: ".o_field_widget[name=symptom] textarea",
            content: "Describe the symptom",
            run: "edit Air conditioner blows warm air",
        },
        {
            trigger: ".o_form_button_save",
            content: "Save: the customer gets a ticket number",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=name]:contains('AS')",
        },
        {
            trigger: ".o_statusbar_status button[data-value]:contains('Diagnosis')",
            content: "Move the ticket to diagnosis",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Diagnosis')",
        },
        {
            trigger: "button[name=action_change_owner]",
            content: "Hand the ticket over",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=owner_id] input",
            run: "edit Chen Agent",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains('Chen Agent')",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=reason] textarea",
            run: "edit On leave next week",
        },
        {
            trigger: ".modal button[name=action_confirm]",
            content: "Confirm the handover",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});

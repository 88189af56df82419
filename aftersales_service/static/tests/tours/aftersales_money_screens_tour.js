/** @odoo-module **/

import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

// A salesperson opens the customer's service contract, reads what is left of
// its entitlements and what was used, and renews it.
tours.add("aftersales_contract_screens_tour", {
    url: "/odoo/action-aftersales_service.aftersales_contract_action",
    steps: () => [
        {
            trigger: ".o_data_row:contains('Maintenance Plus') td[name=partner_id]",
            content: "Open the active contract",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Active')",
        },
        {
            trigger: "button[name=action_view_usages] .o_stat_value:contains('1')",
            content: "One counted service used",
        },
        {
            trigger: ".o_notebook a[name=entitlements]",
            content: "The entitlements the contract gave the unit",
            run: "click",
        },
        {
            trigger:
                ".o_field_widget[name=entitlement_ids] .o_data_row:contains('Remote software visit'):contains('1 of 2 left')",
            content: "One of the two remote visits is left",
        },
        {
            trigger: "button[name=action_view_usages]",
            content: "What was used",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row td[name=ticket_ref]:contains('AS')",
            content: "The ticket that used it",
        },
        {
            trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb li.breadcrumb-item:nth-last-child(1) a",
            content: "Back to the contract",
            run: "click",
        },
        {
            trigger: "button[name=action_renew]",
            content: "Renew it",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=order_line] .o_data_row:contains('Maintenance Plus')",
            content: "The renewal quotation opens with the contract product",
        },
    ],
});

// An agent quotes a repair the customer pays: labour and travel join the
// part on the ticket's one quotation.
tours.add("aftersales_charging_screens_tour", {
    steps: () => [
        {
            trigger: ".o_notebook a[name=warranty]",
            content: "The charging decisions are with the warranty",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=charge_ids] .o_data_row:contains('Customer Pays')",
            content: "The technician's work is charged to the customer",
        },
        {
            trigger: "button[name=action_view_quotation]",
            content: "Its quotation exists already",
        },
        {
            trigger: ".o_form_view button[name=action_quote]",
            content: "Quote the repair",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=charge_ids] .o_data_row:contains('Labour, air conditioners')",
            content: "Labour at the category's rate...",
        },
        {
            trigger: ".o_field_widget[name=charge_ids] .o_data_row:contains('Travel, Hangzhou')",
            content: "... and travel at the zone's fee",
        },
        {
            trigger: ".o_field_widget[name=charged_amount]:contains('249.00')",
            content: "What the customer pays",
        },
        {
            trigger: "button[name=action_view_quotation] .o_stat_value:contains('Quotation')",
            content: "The quotation waits for the customer's signature",
        },
    ],
});

// An agent carries out an exchange under the three guarantees: the faulty
// unit comes back, a new serial is reserved for the customer.
tours.add("aftersales_guarantee_screens_tour", {
    steps: () => [
        {
            trigger: ".alert-info:contains('Three guarantees')",
            content: "The ticket says which right the customer holds",
        },
        {
            trigger: ".o_form_view button[name=action_guarantee_exchange]",
            content: "Exchange the unit",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=kind]:contains('Exchange')",
        },
        {
            trigger: ".modal .o_field_widget[name=lot_id] input",
            content: "Pick the new unit",
            run: "edit AC-NEW-2",
        },
        {
            trigger: ".o-autocomplete--dropdown-menu a:contains('AC-NEW-2')",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=note] input",
            run: "edit Compressor dead on day 10",
        },
        {
            trigger: ".modal button[name=action_confirm]",
            content: "Carry it out",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            trigger: ".alert-warning:contains('AC-NEW-2'):contains('waits for delivery')",
            content: "The new unit waits for delivery",
        },
        {
            trigger: ".o_form_view button[name=action_guarantee_deliver]",
            content: "The agent may hand it over once it is in the customer's hands",
        },
    ],
});

// An agent lends a loaner from the ticket.
tours.add("aftersales_loan_lend_tour", {
    steps: () => [
        {
            trigger: ".o_form_view button[name=action_lend_loaner]",
            content: "Lend a loaner while the unit is in repair",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=lot_id] input",
            content: "Pick the loaner",
            run: "edit LOAN-1",
        },
        {
            trigger: ".o-autocomplete--dropdown-menu a:contains('LOAN-1')",
            run: "click",
        },
        {
            trigger: ".modal button[name=action_lend]",
            content: "Hand it over",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            trigger: "button[name=action_view_loans] .o_stat_value:contains('1')",
            content: "The ticket counts the loaner",
        },
    ],
});

// The stock user follows the loaner pool: the lent unit left it, and the
// loan is theirs to read, not to lend or take back.
tours.add("aftersales_loan_stock_tour", {
    url: "/odoo/action-aftersales_service.aftersales_loan_action_availability",
    steps: () => [
        {
            trigger: ".o_list_view .o_group_header:contains('Loaner')",
            content: "The pool, per service point",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_group_header:contains('Air Conditioner')",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row td[name=lot_id]:contains('LOAN-2')",
            content: "The free loaner is in the pool",
        },
        {
            trigger: ".o_list_view:not(:has(td[name=lot_id]:contains('LOAN-1')))",
            content: "The lent one is not",
        },
        {
            trigger: ".o_main_navbar",
        },
    ],
});

tours.add("aftersales_loan_stock_read_tour", {
    url: "/odoo/action-aftersales_service.aftersales_loan_action",
    steps: () => [
        {
            trigger: ".o_data_row td[name=lot_id]:contains('LOAN-1')",
            content: "The lent loaner",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=out_picking_ref]:contains('/')",
            content: "Its delivery",
        },
        {
            trigger: ".o_form_view:not(:has(button[name=action_take_back])):not(:has(button[name=action_lend]))",
            content: "Lending and taking back are the agents' job",
        },
    ],
});

// The customer brings the loaner back: the agent checks it and takes it back.
tours.add("aftersales_loan_take_back_tour", {
    steps: () => [
        {
            trigger: "button[name=action_view_loans]",
            content: "The ticket's loaner",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row td[name=lot_id]:contains('LOAN-1')",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Lent')",
        },
        {
            trigger: ".o_field_widget[name=return_condition] input[data-value=incomplete]",
            content: "Remote control missing",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=return_note] textarea",
            run: "edit No remote control",
        },
        {
            trigger: ".o_form_view button[name=action_take_back]",
            content: "Take it back",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Returned')",
            content: "Back in the pool",
        },
    ],
});

// The service manager reads the partners' signed visits per month and
// prints a partner's statement.
tours.add("aftersales_settlement_screens_tour", {
    url: "/odoo/action-aftersales_service.aftersales_visit_action_settlement",
    steps: () => [
        {
            trigger: ".o_list_view .o_group_header:contains('Tianshan Service Co')",
            content: "The signed visits per partner...",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_group_header:contains('September 2026')",
            content: "... and per month",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row td[name=parts_consumed_summary]:contains('Fan Motor × 2')",
            content: "With the parts consumed",
        },
        {
            trigger: ".o_switch_view.o_pivot",
            content: "The same per month in a pivot",
            run: "click",
        },
        {
            trigger: ".o_pivot th:contains('Tianshan Service Co')",
        },
        {
            trigger: ".o_pivot td.o_pivot_cell_value:contains('03:45')",
            content: "September's time on site",
        },
    ],
});

tours.add("aftersales_settlement_print_tour", {
    steps: () => [
        {
            trigger: ".modal .o_field_widget[name=month] select",
            content: "September...",
            run: 'select "9"',
        },
        {
            trigger: ".modal .o_field_widget[name=year] input:value(2026)",
            content: "... 2026, the year written as a year (no thousands separator)",
            run: "edit 2026",
        },
        {
            trigger: ".modal .o_field_widget[name=partner_id] input",
            content: "The partner to settle",
            run: "click",
        },
        {
            trigger: ".o-autocomplete--dropdown-menu a:contains('Tianshan Service Co')",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=visit_count]:contains('2')",
            content: "Two signed visits in September",
        },
        {
            trigger: ".modal button[name=action_print]",
            content: "Print the statement",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});

/** @odoo-module **/

import { registry } from "@web/core/registry";

// A callback agent works the queue: opens the customer's callback and
// records that the customer was reached (the survey opens next).
registry.category("web_tour.tours").add("aftersales_callback_tour", {
    url: "/odoo/action-aftersales_service.aftersales_callback_action_my",
    steps: () => [
        {
            trigger:
                ".o_data_row:contains('Wu Customer') td[name=partner_phone] a[href^='tel:']:contains('138 1234 5678')",
            content: "The agent sees the customer's full number, ready to dial",
        },
        {
            trigger: ".o_data_row:contains('Wu Customer') td[name=ticket_id]",
            content: "Open the callback due first",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=partner_phone] a[href^='tel:']",
            content: "The number is dialable on the callback too",
        },
        {
            trigger: "button[name=action_record_outcome]",
            content: "Record the call",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=partner_phone] a[href^='tel:']",
            content: "... and in the outcome dialog",
        },
        {
            trigger: ".modal .o_field_widget[name=outcome] input[data-value=later]",
            content: "The customer asks to be called back later...",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=callback_date] input",
        },
        {
            trigger: ".modal .o_field_widget[name=outcome] input[data-value=reached]",
            content: "... no, the customer has time now: reached",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=note] textarea",
            run: "edit Customer happy to answer",
        },
        {
            trigger: ".modal button[name=action_confirm]",
            content: "Record the outcome",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Reached')",
            content: "The callback shows the customer was reached",
        },
    ],
});

// The agent fills the satisfaction survey with the customer on the phone.
registry.category("web_tour.tours").add("aftersales_callback_survey_tour", {
    steps: () => [
        {
            trigger: 'button.btn:contains("Start")',
            run: "click",
        },
        {
            trigger: "div.js_question-wrapper:contains('how satisfied') label[for$='_2']",
            content: "Satisfaction: 2 out of 5",
            run: "click",
        },
        {
            trigger: "div.js_question-wrapper:contains('problem solved') label:contains('No')",
            content: "Problem not solved",
            run: "click",
        },
        {
            trigger: "div.js_question-wrapper:contains('conduct') label[for$='_4']",
            run: "click",
        },
        {
            trigger: "div.js_question-wrapper:contains('recommend') label[for$='_3']",
            content: "Likelihood to recommend: 3 (detractor)",
            run: "click",
        },
        {
            trigger: "div.js_question-wrapper:contains('Anything else') textarea",
            run: "edit The noise is back after two days",
        },
        {
            trigger: 'button[value="finish"]',
            run: "click",
        },
        {
            trigger: "body:contains('Thank you')",
        },
    ],
});

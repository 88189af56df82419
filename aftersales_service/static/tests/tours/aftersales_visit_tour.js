/** @odoo-module **/

import { registry } from "@web/core/registry";

// A technician on a phone: today's visit on a card (time, customer, address),
// the report written on site and signed by the customer on the screen.
registry.category("web_tour.tours").add("aftersales_visit_sign_tour", {
    steps: () => [
        {
            trigger: ".o_kanban_view .o_kanban_record:contains('Wu Customer'):contains('88 Canal Street')",
            content: "My visit on a card: customer and address",
        },
        {
            trigger: ".o_kanban_record:contains('Wu Customer') .o_aftersales_visit_window:contains('10:00')",
            content: "The window in my time zone",
        },
        {
            trigger: ".o_kanban_record:contains('Wu Customer') .o_aftersales_visit_window",
            content: "Open the visit",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_notebook a[name=report]",
            content: "The service report",
            run: "click",
        },
        {
            trigger: ".o_field_html[name=work_done] .odoo-editor-editable",
            content: "Write the work done",
            run: "editor Replaced the start capacitor, unit cools again.",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_saved",
        },
        {
            trigger: ".o_cp_action_menus button:has(.fa-cog)",
            content: "On a phone the visit's actions sit under the cog",
            run: "click",
        },
        {
            trigger: ".o-dropdown--menu button[name=action_sign]",
            content: "The customer signs",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=signed_by] input:value(Wu Customer Portal)",
            content: "The customer's name is proposed",
        },
        {
            trigger: ".modal .o_field_widget[name=signature] .o_signature",
            content: "Open the signature pad",
            run: "click",
        },
        {
            trigger: ".modal .o_web_sign_name_and_signature canvas",
            content: "The signature is drawn from the name",
        },
        {
            trigger: ".modal:has(.o_web_sign_name_and_signature) .modal-footer button.btn-primary",
            content: "Adopt the signature",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=signature] img.o_signature",
        },
        {
            trigger: ".modal .modal-footer button[name=action_confirm]",
            content: "Sign the report",
            run: "click",
        },
        {
            trigger: ".o_form_view .ribbon:contains('Signed')",
            content: "The report is signed and locked",
        },
    ],
});

// The customer signs the report later, on the portal, with the link of the
// e-mail.
registry.category("web_tour.tours").add("aftersales_visit_portal_sign_tour", {
    steps: () => [
        {
            trigger: ".o_aftersales_visit .o_aftersales_technician:contains('Li Technician')",
            content: "Who came, when, what was done",
        },
        {
            trigger: ".o_aftersales_work_done:contains('Replaced the start capacitor')",
        },
        {
            trigger: "a.o_aftersales_visit_sign",
            content: "Sign the report",
            run: "click",
        },
        {
            trigger: "#modal_visit_sign .o_web_sign_name_and_signature input[name=signer]:value(Wu Customer Portal)",
            content: "My name is proposed",
        },
        {
            trigger: "#modal_visit_sign .o_web_sign_auto_select_style button",
            content: "Pick a handwriting style",
            run: "click",
        },
        {
            trigger: ".o-dropdown-item:eq(1)",
            run: "click",
        },
        {
            trigger: "#modal_visit_sign .o_web_sign_name_and_signature canvas",
            content: "The name is drawn in the chosen style",
            // the style is drawn asynchronously (font, then image): a click
            // on Sign before it is on the canvas would send no signature
            run: async function () {
                const canvas = document.querySelector(
                    "#modal_visit_sign .o_web_sign_name_and_signature canvas"
                );
                const blank = document.createElement("canvas");
                blank.width = canvas.width;
                blank.height = canvas.height;
                for (let i = 0; i < 50 && canvas.toDataURL() === blank.toDataURL(); i++) {
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
            },
        },
        {
            trigger: "#modal_visit_sign .o_portal_sign_submit:enabled",
            content: "Sign",
            run: "click",
        },
        {
            trigger: ".alert-success:contains('the report is signed')",
            content: "Signed: the report can be downloaded",
        },
        {
            trigger: "a.o_aftersales_visit_report",
        },
    ],
});

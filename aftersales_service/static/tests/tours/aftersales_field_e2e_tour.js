/** @odoo-module **/

import { registry } from "@web/core/registry";

// The whole field service path on one ticket, as the dispatcher, the
// technician (on a phone) and the customer (on the portal).

// This machine may be busy: the first screen of a tour and the steps that
// wait for the server to render a PDF or send mail get more time.
const SLOW = 40000;

// A 1x1 PNG: the technician's photos.
const PNG_BASE64 =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4//8/AwAI/AL+p5qgoAAAAABJRU5ErkJggg==";

function photoFile(name) {
    const bytes = Uint8Array.from(atob(PNG_BASE64), (c) => c.charCodeAt(0));
    return new File([bytes], name, { type: "image/png" });
}

// Upload ``name`` through the image field of the photo dialog.
function uploadPhoto(name) {
    return {
        trigger: ".modal .o_field_widget[name=image_1920]",
        content: `Take the photo ${name}`,
        run() {
            const input = this.anchor.querySelector("input[type=file]");
            const transfer = new DataTransfer();
            transfer.items.add(photoFile(name));
            input.files = transfer.files;
            input.dispatchEvent(new Event("change", { bubbles: true }));
        },
    };
}

// Today, in the browser's (and the users') time zone, as the date fields
// of the English web client read it.
function today(hour) {
    return luxon.DateTime.local()
        .set({ hour, minute: 0, second: 0 })
        .toFormat("MM/dd/yyyy HH:mm:ss");
}

// On a phone the form's header buttons sit under the cog.
function headerButton(name, content) {
    return [
        {
            trigger: ".o_form_view .o_cp_action_menus button:has(.fa-cog)",
            content: "The visit's actions sit under the cog",
            run: "click",
        },
        {
            trigger: `.o-dropdown--menu button[name=${name}]`,
            content,
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("aftersales_field_e2e_dispatcher_tour", {
    steps: () => [
        {
            trigger: ".o_kanban_view .o_kanban_record:contains('Wu Customer')",
            timeout: SLOW,
            content: "Open the customer's ticket",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=resolution_mode] .o_selection_badge:contains('On-Site Visit')",
            content: "The case is resolved on site",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=resolution_mode] .o_selection_badge.active:contains('On-Site Visit')",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_saved",
        },
        {
            trigger: ".o_form_view button[name=action_view_visits]",
            content: "The ticket's visits",
            run: "click",
        },
        {
            trigger: ".o_control_panel .o_list_button_add",
            content: "Plan a visit",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=ticket_id] input:value(/Compressor clicks|AS/)",
            content: "The visit belongs to the ticket",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=planned_start] input",
            content: "The window agreed with the customer: today 10:00...",
            run: `edit ${today(10)}`,
        },
        {
            trigger: ".o_form_view .o_field_widget[name=planned_start] input",
            run: "press Enter",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=planned_stop] input",
            content: "... to 12:00",
            run: `edit ${today(12)}`,
        },
        {
            trigger: ".o_form_view .o_field_widget[name=planned_stop] input",
            run: "press Enter",
        },
        {
            trigger: "body:not(:has(.o_datetime_picker))",
        },
        {
            trigger: ".o_form_view .o_notebook a[name=instructions]",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=note] textarea",
            run: "edit Ring twice, the bell is weak.",
        },
        {
            trigger: ".o_form_view button[name=action_suggest_technician]",
            content: "Ask who to send",
            run: "click",
        },
        {
            trigger: ".modal .o_kanban_record:not(.o_kanban_ghost):eq(0):contains('Li Technician'):contains('Free in the window')",
            content: "The best candidate first, with the reasons",
        },
        {
            trigger: ".modal .o_kanban_record:contains('Wang Technician'):contains('Not certified for Air Conditioners')",
        },
        {
            trigger: ".modal .o_kanban_record:not(.o_kanban_ghost):eq(0) button[name=action_assign]",
            content: "Send the top candidate in one click",
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
            trigger: ".o_form_view button[name=action_confirm]",
            content: "Confirm the window to the customer",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Confirmed')",
            timeout: SLOW,
            content: "Confirmed: the customer is told",
        },
        {
            trigger: ".o-mail-Chatter .o-mail-Message:contains('Your visit is confirmed')",
            content: "The e-mail to the customer is in the visit's history",
        },
    ],
});

registry.category("web_tour.tours").add("aftersales_field_e2e_technician_tour", {
    steps: () => [
        {
            trigger: ".o_kanban_view .o_kanban_record:contains('Wu Customer'):contains('88 Canal Street')",
            timeout: SLOW,
            content: "Today's visit on a card: customer and address",
        },
        {
            trigger: ".o_kanban_record:contains('Wu Customer'):contains('Compressor clicks')",
            content: "... and what the customer reported",
        },
        {
            trigger: ".o_kanban_record:contains('Wu Customer') .o_aftersales_visit_symptom",
            content: "Open the visit",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=state] :contains('Confirmed')",
        },
        ...headerButton("action_on_the_way", "On my way"),
        {
            trigger: ".o_form_view .o_field_widget[name=state] :contains('On the Way')",
        },
        ...headerButton("action_check_in", "Arrived: check in"),
        {
            trigger: ".o_form_view .o_field_widget[name=state] :contains('On Site')",
            content: "On site",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=check_in_date] span:contains('/')",
        },
        // The report
        {
            trigger: ".o_form_view .o_notebook a[name=report]",
            content: "The service report",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=fault_code_id] input",
            content: "The fault found, from the catalogue",
            run: "click",
        },
        {
            trigger: ".modal .o_kanban_record:contains('Compressor fails to start')",
            content: "On a phone the catalogue opens as cards",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            trigger: ".o_field_widget[name=remedy] textarea:value(Replace the start capacitor.)",
            content: "The remedy proposed by the catalogue",
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
        // The reserved part
        ...headerButton("action_consume_parts", "Consume the reserved part"),
        {
            trigger: ".modal .o_data_row:contains('Start Capacitor SC-3') td[name=qty_consumed]",
            content: "One capacitor used, the other goes back",
            run: "click",
        },
        {
            trigger: ".modal .o_data_row .o_field_widget[name=qty_consumed] input",
            run: "edit 1",
        },
        {
            trigger: ".modal .modal-footer button[name=action_confirm]",
            content: "Confirm the consumption",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            trigger: ".o_form_view .o_notebook a[name=parts]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=part_line_ids] :contains('Start Capacitor SC-3')",
            content: "The part is on the report",
        },
        // The photos, before and after
        {
            trigger: ".o_form_view .o_notebook a[name=photos]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=photo_ids] .o-kanban-button-new",
            content: "Add the photo taken before",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=tag] input[data-value=before]:checked",
        },
        {
            trigger: ".modal .o_field_widget[name=name] input",
            run: "edit Capacitor swollen",
        },
        uploadPhoto("before.png"),
        {
            trigger: ".modal .o_field_widget[name=image_1920] img[src*='data:image/png']",
            content: "The photo is taken",
        },
        {
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            trigger: ".o_field_widget[name=photo_ids] .o_kanban_record:contains('Capacitor swollen')",
        },
        {
            trigger: ".o_field_widget[name=photo_ids] .o-kanban-button-new",
            content: "Add the photo taken after",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=tag] input[data-value=after]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=name] input",
            run: "edit New capacitor fitted",
        },
        uploadPhoto("after.png"),
        {
            trigger: ".modal .o_field_widget[name=image_1920] img[src*='data:image/png']",
        },
        {
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            trigger: ".o_field_widget[name=photo_ids] .o_kanban_record:contains('New capacitor fitted')",
        },
        // A measurement
        {
            trigger: ".o_form_view .o_notebook a[name=measurements]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=measurement_ids] .o_field_x2many_list_row_add a",
            content: "Record a measurement",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=measurement_ids] .o_data_row .o_field_widget[name=name] input",
            run: "edit Supply voltage",
        },
        {
            trigger: ".o_field_widget[name=measurement_ids] .o_data_row .o_field_widget[name=expected] input",
            run: "edit 200-240 V",
        },
        {
            trigger: ".o_field_widget[name=measurement_ids] .o_data_row .o_field_widget[name=value] input",
            run: "edit 221 V",
        },
        {
            trigger: ".o_field_widget[name=measurement_ids] .o_data_row .o_field_widget[name=result] select",
            run: "selectByLabel Pass",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_saved",
        },
        // The customer signs on the screen
        ...headerButton("action_sign", "The customer signs"),
        {
            trigger: ".modal .o_field_widget[name=customer_comment] textarea",
            run: "edit Fast and clean work.",
        },
        {
            trigger: ".modal .o_field_widget[name=signed_by] input",
            run: "edit Wu Customer",
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
            timeout: SLOW,
            content: "The report is signed and locked",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=state] :contains('Done & Signed')",
        },
    ],
});

registry.category("web_tour.tours").add("aftersales_field_e2e_customer_tour", {
    steps: () => [
        {
            trigger: "a[href='/my/visits']",
            timeout: SLOW,
            content: "My visits",
            run: "click",
        },
        {
            trigger: ".o_aftersales_my_visits tr:contains('Li Technician') .badge:contains('Done & Signed')",
            content: "The visit, done and signed",
        },
        {
            trigger: ".o_aftersales_my_visits tr:contains('Li Technician') a.o_aftersales_visit_report[href*='report_type=pdf']",
            content: "The signed report, ready to download",
        },
        {
            trigger: ".o_aftersales_my_visits tr:contains('Li Technician') a.o_aftersales_visit_name",
            content: "Open the visit",
            run: "click",
        },
        {
            trigger: ".o_aftersales_visit .o_aftersales_work_done:contains('Replaced the start capacitor')",
            content: "What was done",
        },
        {
            trigger: ".o_aftersales_visit:contains('Wu Customer')",
            content: "Who signed",
        },
        {
            trigger: "a.o_aftersales_visit_report",
        },
    ],
});

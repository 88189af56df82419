/** @odoo-module **/

import { registry } from "@web/core/registry";

// A 1x1 PNG: the customer's photo of the unit.
const PNG_BASE64 =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4//8/AwAI/AL+p5qgoAAAAABJRU5ErkJggg==";

function photoFile() {
    const bytes = Uint8Array.from(atob(PNG_BASE64), (c) => c.charCodeAt(0));
    return new File([bytes], "unit.png", { type: "image/png" });
}

const CHATTER = "#chatterRoot:shadow";
// The first page with a chatter builds its lazy asset bundle: slow on a busy
// test machine.
const CHATTER_LOAD_TIMEOUT = 30000;

// A portal customer sends a request with a photo, sees its reference and the
// expected first-response time, and writes a message on it.
registry.category("web_tour.tours").add("aftersales_portal_request_tour", {
    url: "/my/home",
    steps: () => [
        {
            trigger: "a[href='/my/tickets']",
            content: "Open the service requests",
            run: "click",
        },
        {
            trigger: "a.o_aftersales_new_request",
            content: "Send a new request",
            run: "click",
        },
        {
            trigger: "select[name=lot_id]",
            content: "Pick the unit delivered to me",
            run: "selectByLabel Air Conditioner X1 – AC-0001",
        },
        {
            trigger: "textarea[name=symptom]",
            run: "edit The unit blows warm air since yesterday",
        },
        {
            trigger: "select[name=frequency]",
            run: "selectByLabel Permanent",
        },
        {
            trigger: "select[name=priority]",
            run: "selectByLabel Urgent",
        },
        {
            trigger: "input[name=attachments]",
            content: "Attach a photo of the unit",
            run() {
                const transfer = new DataTransfer();
                transfer.items.add(photoFile());
                this.anchor.files = transfer.files;
            },
        },
        {
            trigger: "button.o_aftersales_submit",
            run: "click",
        },
        {
            trigger: ".o_aftersales_created:contains('We received your request')",
            content: "The page answers with the reference...",
        },
        {
            trigger: ".o_aftersales_created:contains('We will get back to you by')",
            content: "... and when we will answer",
        },
        {
            trigger: `${CHATTER} .o-mail-Message-body:contains('Photos and files sent with the request')`,
            content: "The photo is on the request",
            timeout: CHATTER_LOAD_TIMEOUT,
        },
        {
            trigger: `${CHATTER} .o-mail-Composer-input`,
            run: "edit It also makes a clicking noise",
        },
        {
            trigger: `${CHATTER} .o-mail-Composer-send:enabled`,
            run: "click",
        },
        {
            trigger: `${CHATTER} .o-mail-Message-body:contains('It also makes a clicking noise')`,
            content: "My message is on the request",
        },
    ],
});

// Back later: the customer reads the technician's answer, confirms the
// request is solved and rates the service in the satisfaction survey.
registry.category("web_tour.tours").add("aftersales_portal_confirm_tour", {
    url: "/my/tickets?filterby=all",
    steps: () => [
        {
            trigger: ".o_portal_my_doc_table a:contains('AS')",
            content: "Open the request",
            run: "click",
        },
        {
            trigger: `${CHATTER} .o-mail-Message-body:contains('We replaced the fan motor')`,
            content: "Read the technician's answer",
        },
        {
            trigger: ".badge:contains('Solved')",
        },
        {
            trigger: ".o_aftersales_confirm button",
            content: "Confirm it is solved",
            run: "click",
        },
        {
            trigger: ".alert:contains('Thank you for confirming.')",
        },
        {
            trigger: "a.o_aftersales_survey",
            content: "The satisfaction survey is one click away",
            run: "click",
        },
        {
            trigger: "button.btn:contains('Start')",
            content: "Start the survey",
            run: "click",
        },
        {
            trigger: "div.js_question-wrapper:contains('how satisfied') label[for$='_5']",
            content: "Satisfaction: 5 out of 5",
            run: "click",
        },
        {
            trigger: "div.js_question-wrapper:contains('problem solved') label:contains('Yes')",
            content: "The problem is solved",
            run: "click",
        },
        {
            trigger: "div.js_question-wrapper:contains('conduct') label[for$='_4']",
            content: "Technician conduct: 4 out of 5",
            run: "click",
        },
        {
            trigger: "div.js_question-wrapper:contains('recommend') label[for$='_9']",
            content: "Likelihood to recommend: 9 (promoter)",
            run: "click",
        },
        {
            trigger: "div.js_question-wrapper:contains('Anything else') textarea",
            run: "edit Quick and tidy, thank you",
        },
        {
            trigger: "button[value='finish']",
            content: "Submit the answers",
            run: "click",
        },
        {
            trigger: ".o_survey_finished:contains('Your answers help us serve you better')",
            content: "The survey thanks the customer",
        },
    ],
});

// Nothing on the page may stick out of a phone's screen: a button pushed off
// its right edge cannot be reached. The chatter lives in a shadow root.
function fitsTheScreen(page, trigger) {
    return {
        trigger,
        content: `${page}: everything fits the width of the screen`,
        run() {
            const width = document.documentElement.clientWidth;
            const elements = [...document.querySelectorAll("#wrapwrap *")];
            for (const host of elements.filter((el) => el.shadowRoot)) {
                elements.push(...host.shadowRoot.querySelectorAll("*"));
            }
            const wide = elements.filter((el) => {
                const box = el.getBoundingClientRect();
                return box.width && box.height && box.right > width + 1;
            });
            if (wide.length) {
                const names = wide
                    .slice(0, 5)
                    .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join(".")}`);
                throw new Error(
                    `${page}: ${wide.length} element(s) wider than the ${width}px screen: ${names.join(", ")}`
                );
            }
        },
    };
}

// The same customer path on a phone: the list, a request with the
// technician's answer, a reply, and a new request.
registry.category("web_tour.tours").add("aftersales_portal_phone_tour", {
    url: "/my/home",
    steps: () => [
        {
            trigger: "body",
            content: "The screen is a phone's",
            run() {
                if (window.innerWidth > 400) {
                    throw new Error(`Expected a phone-width screen, got ${window.innerWidth}px`);
                }
            },
        },
        fitsTheScreen("Home", "a[href='/my/tickets']"),
        {
            trigger: "a[href='/my/tickets']",
            content: "Open the service requests",
            run: "click",
        },
        {
            trigger: "a.o_aftersales_new_request",
            content: "The New Request button is in sight, not folded away",
        },
        fitsTheScreen("Request list", ".o_portal_my_doc_table"),
        {
            trigger: ".o_portal_my_doc_table a:contains('AS')",
            content: "Open the request",
            run: "click",
        },
        {
            trigger: `${CHATTER} .o-mail-Message-body:contains('Our technician comes on Monday')`,
            content: "Read the service's answer",
            timeout: CHATTER_LOAD_TIMEOUT,
        },
        fitsTheScreen("Request", `${CHATTER} .o-mail-Composer-input`),
        {
            trigger: `${CHATTER} .o-mail-Composer-input`,
            run: "edit Monday morning suits me",
        },
        {
            trigger: `${CHATTER} .o-mail-Composer-send:enabled`,
            run: "click",
        },
        {
            trigger: `${CHATTER} .o-mail-Message-body:contains('Monday morning suits me')`,
            content: "My answer is on the request",
        },
        {
            trigger: ".o_portal_submenu a[href='/my/tickets']",
            content: "Back to the list",
            run: "click",
        },
        {
            trigger: "a.o_aftersales_new_request",
            content: "Send a new request",
            run: "click",
        },
        fitsTheScreen("New request form", "form.o_aftersales_new_ticket"),
        {
            trigger: "select[name=lot_id]",
            run: "selectByLabel Air Conditioner X1 Deluxe Inverter Split Unit 3.5 kW – AC-0001",
        },
        {
            trigger: "textarea[name=symptom]",
            run: "edit Water drips from the indoor unit",
        },
        {
            trigger: "button.o_aftersales_submit",
            run: "click",
        },
        {
            trigger: ".o_aftersales_created:contains('We received your request')",
            content: "The page answers with the reference",
        },
        fitsTheScreen("New request received", ".o_aftersales_created"),
    ],
});

// A visitor without an account checks the warranty of a serial number.
registry.category("web_tour.tours").add("aftersales_warranty_check_tour", {
    url: "/aftersales/warranty",
    steps: () => [
        {
            trigger: "input[name=serial]",
            run: "edit AC-0001",
        },
        {
            trigger: ".o_aftersales_warranty_check button[type=submit]",
            run: "click",
        },
        {
            trigger: ".o_aftersales_warranty_result:contains('In Warranty')",
            content: "The warranty status shows, without any personal data",
        },
    ],
});

// A portal customer finds the warranty and its certificate.
registry.category("web_tour.tours").add("aftersales_portal_warranty_tour", {
    url: "/my/home",
    steps: () => [
        {
            trigger: "a[href='/my/warranties']",
            run: "click",
        },
        {
            trigger: ".o_portal_my_doc_table a:contains('AC-0001'), .o_portal_my_doc_table td:contains('AC-0001')",
        },
        {
            trigger: ".o_portal_my_doc_table a[href^='/my/warranties/']",
            run: "click",
        },
        {
            trigger: "a.o_aftersales_certificate[href*='report_type=pdf']",
            content: "The certificate can be downloaded",
        },
    ],
});

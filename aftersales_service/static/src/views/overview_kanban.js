/** @odoo-module **/

import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { kanbanView } from "@web/views/kanban/kanban_view";
import { KanbanRenderer } from "@web/views/kanban/kanban_renderer";
import { Component, onWillStart } from "@odoo/owl";

/** The user's own day above the team cards: my tickets, my appointments
 * today, my score this month. Each figure opens its list. */
export class AftersalesMyDay extends Component {
    static template = "aftersales_service.MyDay";
    static props = {};

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        onWillStart(async () => {
            this.figures = await this.orm.call("aftersales.team", "retrieve_my_day", []);
        });
    }

    async open(figure) {
        const action = await this.orm.call("aftersales.team", "action_open_my_day", [figure]);
        return this.action.doAction(action);
    }
}

export class AftersalesOverviewRenderer extends KanbanRenderer {
    static template = "aftersales_service.OverviewRenderer";
    static components = { ...KanbanRenderer.components, AftersalesMyDay };
}

registry.category("views").add("aftersales_overview_kanban", {
    ...kanbanView,
    Renderer: AftersalesOverviewRenderer,
});

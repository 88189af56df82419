/** @odoo-module **/

import { registry } from "@web/core/registry";
import { Many2OneField, many2OneField } from "@web/views/fields/many2one/many2one_field";

/**
 * A service team by its own name ("Hangzhou Point"), its full path
 * ("After-Sales Service Center / East China Region / Hangzhou Point") on hover.
 * Editing still shows and searches the full path, so two points of the same
 * name in different regions stay apart.
 */
export class TeamMany2OneField extends Many2OneField {
    static template = "aftersales_service.TeamMany2OneField";

    get fullPath() {
        const value = this.props.record.data[this.props.name];
        return value ? value[1] : "";
    }

    get displayName() {
        const name = super.displayName;
        if (!this.props.readonly || !name) {
            return name;
        }
        const parts = name.split(" / ");
        return parts[parts.length - 1];
    }
}

registry.category("fields").add("aftersales_team_many2one", {
    ...many2OneField,
    component: TeamMany2OneField,
});

// A run past its wall-clock budget, on the configuration itself (the plan's `time.over_budget`):
// the hours it needs, and what fits the budget instead: fewer tokens (and the loss that costs by
// Chinchilla's fit), a longer budget, or a faster device (a GPU, when the plan runs on a CPU).

import type { OverBudget, Plan } from "trainfit/web/lean";
import { verdictIcon } from "./cards";
import { h } from "./dom";
import { pathOf } from "./terms";
import { duration, si } from "./units";

/** The banner of `ob`, at `path` in the plan, for a run whose budget is `budgetS`; `what` names
 * the run ("the run", "both phases"). */
export function overBudget(plan: Plan, ob: OverBudget, path: string, budgetS: number, what: string): HTMLElement {
  const onCpu = plan.device.class === "cpu" || plan.suggestions.some((w) => w.code === "use_a_gpu");
  const fig = (text: string, key: keyof OverBudget) => h("strong", { class: "figure", ...pathOf(`${path}.${key}`, ob[key]) }, text);
  return h(
    "div",
    { class: "over-banner", role: "note", "aria-label": `${what} is over its budget`, "data-over-budget": path },
    h("p", { class: "over-title" }, verdictIcon("over"), h("span", {}, `Over budget: ${what} needs `, fig(duration(ob.hours_needed * 3600), "hours_needed"), ` of ${duration(budgetS)}`)),
    h("p", { class: "over-then" }, `What fits ${duration(budgetS)}:`),
    h(
      "ul",
      { class: "over-options" },
      h("li", {}, fig(`${si(ob.tokens_in_budget)} tokens`, "tokens_in_budget"), " (", fig(ob.tokens_per_parameter_in_budget.toFixed(1), "tokens_per_parameter_in_budget"), " per parameter), ", fig(`+${ob.loss_increase.toFixed(3)}`, "loss_increase"), " nats of loss by Chinchilla's fit"),
      h("li", {}, "a budget of ", h("strong", {}, duration(ob.hours_needed * 3600)), " (Budget, hours)"),
      h("li", {}, onCpu ? "a GPU: this plan runs on the CPU" : "a faster device"),
    ),
  );
}

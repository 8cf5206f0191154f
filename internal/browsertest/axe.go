package browsertest

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core from npm, verbatim (see axe/README.md for its
// version, hashes and licence, MPL-2.0). It is embedded so that the
// accessibility checks run offline and always with the same rules.
//
//go:embed axe/axe.min.js
var axeSource string

// WCAG22AA are the axe-core tags of the rules for WCAG 2.0, 2.1 and 2.2 at
// levels A and AA: what the platform promises (docs/UI.md).
var WCAG22AA = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// AxeViolation is one rule that failed on a page, with the elements that
// failed it.
type AxeViolation struct {
	ID     string    `json:"id"`
	Impact string    `json:"impact"`
	Help   string    `json:"help"`
	Nodes  []AxeNode `json:"nodes"`
}

// AxeNode is one element that failed a rule: its CSS selector and axe's
// explanation.
type AxeNode struct {
	Target  []string `json:"target"`
	Summary string   `json:"failureSummary"`
	HTML    string   `json:"html"`
}

// String gives the rule, its help text and the failing elements, one per
// line, short enough for a test log.
func (v AxeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
	for i, n := range v.Nodes {
		if i == 5 {
			fmt.Fprintf(&b, "\n    … and %d more", len(v.Nodes)-i)
			break
		}
		sum := strings.ReplaceAll(n.Summary, "\n", " ")
		if len(sum) > 240 {
			sum = sum[:240] + "…"
		}
		fmt.Fprintf(&b, "\n    %s: %s", strings.Join(n.Target, " "), sum)
	}
	return b.String()
}

// Axe runs axe-core in the page of ctx with the rules of tags (all rules
// when tags is empty) and returns the violations. It injects axe-core first
// when the page does not have it yet, so it can be called after every
// navigation.
func Axe(ctx context.Context, tags ...string) ([]AxeViolation, error) {
	opts := map[string]any{"resultTypes": []string{"violations"}}
	if len(tags) > 0 {
		opts["runOnly"] = map[string]any{"type": "tag", "values": tags}
	}
	return axeRun(ctx, opts)
}

// AxeRules is [Axe] with only the named rules, for a second look at a page
// whose layout changed (for example at another width) without running the
// slow rules that cannot have changed.
func AxeRules(ctx context.Context, rules ...string) ([]AxeViolation, error) {
	return axeRun(ctx, map[string]any{"resultTypes": []string{"violations"},
		"runOnly": map[string]any{"type": "rule", "values": rules}})
}

func axeRun(ctx context.Context, opts map[string]any) ([]AxeViolation, error) {
	has, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`))
	if err != nil {
		return nil, fmt.Errorf("axe: %w", err)
	}
	if !has {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axeSource)); err != nil {
			return nil, fmt.Errorf("axe: injecting axe-core: %w", err)
		}
	}
	js, err := json.Marshal(opts)
	if err != nil {
		return nil, err
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](
		`axe.run(document, `+string(js)+`).then(r => r.violations)`, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("axe: running: %w", err)
	}
	var out []AxeViolation
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("axe: results: %w", err)
	}
	return out, nil
}

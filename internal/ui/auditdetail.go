package ui

import (
	"fmt"
	"regexp"
	"strings"

	"bricstown/internal/audit"
	"bricstown/internal/customs"
	"bricstown/internal/identity"
)

// reSteps is the list of customs steps a multi-step entry starts with.
var reSteps = regexp.MustCompile(`^[a-z_]+(, [a-z_]+)+$`)

// auditDetail says what an audit entry changed, in the reader's language:
// the entry's stored references read back into a kind and typed arguments
// (audit.Describe; a customs declaration's through its history events),
// amounts in the reader's number style, organisations by name, states and
// roles from the catalogues, and a person's own words as typed. english is
// true when the stored English is all there is; the page marks it so.
func (p *Pages) auditDetail(v *View, people *identity.People, e audit.Entry) (text string, english bool) {
	if rest, ok := strings.CutPrefix(e.Action, "customs."); ok && e.SubjectType == "customs_declaration" && e.Detail != "" {
		ev := customs.Event{Action: customs.Action(rest), Detail: e.Detail}
		// Several steps of one request share one entry: "submit, assess,
		// assign_lane: lane green", the steps and the last one's event.
		var steps []string
		if head, last, ok := strings.Cut(e.Detail, ": "); ok && reSteps.MatchString(head) {
			steps = strings.Split(head, ", ")
			ev = customs.Event{Action: customs.Action(steps[len(steps)-1]), Detail: last}
		}
		if k, _ := ev.Structured(); k != customs.EvText && k != "" {
			text := p.eventText(v, ev)
			if len(steps) > 1 {
				names := make([]string, len(steps))
				for i, s := range steps {
					if names[i] = p.actionText(v, "customs."+s); names[i] == "" {
						names[i] = s
					}
				}
				text = strings.Join(names, ", ") + ": " + text
			}
			return text, false
		}
		if !strings.Contains(rest, ".") && !strings.Contains(e.Detail, ": ") {
			// A person's own words (a refusal's reason, a release note).
			return e.Detail, false
		}
		return e.Detail, true
	}
	ev, ok := audit.Describe(e.Record)
	if !ok {
		return e.Detail, e.Detail != ""
	}
	if ev.Kind == "" {
		return "", false
	}
	key := "audit.ev." + ev.Kind
	if !p.has(key) && !p.has(key+pluralSep+"other") {
		return e.Detail, e.Detail != ""
	}
	args := make([]any, len(ev.Args))
	for i, a := range ev.Args {
		args[i] = p.auditArg(v, people, a)
	}
	if len(ev.List) > 0 {
		list := make([]string, len(ev.List))
		for i, a := range ev.List {
			list[i] = fmt.Sprint(p.auditArg(v, people, a))
		}
		args = append(args, strings.Join(list, "; "))
	}
	if ev.Count != nil {
		return v.TN(key, *ev.Count, args...), false
	}
	return v.T(key, args...), false
}

// auditArg renders one argument of a described entry: a whole number as
// a number (the sentence formats it), anything else as text.
func (p *Pages) auditArg(v *View, people *identity.People, a audit.Arg) any {
	switch a.Type {
	case audit.ArgAmount:
		exp := a.Exp
		if exp < 0 {
			exp = p.exponent(a.Currency)
		}
		return amountText(v.Lang, a.Minor, exp) + " " + a.Currency
	case audit.ArgRate:
		dec, _ := numberStyle(v.Lang)
		return strings.Replace(a.S, ".", dec, 1)
	case audit.ArgOrg:
		if n := people.Org(a.S); n != "" {
			return n
		}
		return shortID(a.S)
	case audit.ArgState:
		return p.auditState(v, a.S)
	case audit.ArgRoles:
		var out []string
		for _, r := range strings.FieldsFunc(a.S, func(c rune) bool { return c == ',' || c == ' ' }) {
			if p.has("role." + r) {
				out = append(out, v.T("role."+r))
			} else {
				out = append(out, r)
			}
		}
		return strings.Join(out, ", ")
	case audit.ArgTime:
		return a.T.UTC().Format("2006-01-02 15:04 UTC")
	case audit.ArgNumber:
		return a.Minor
	}
	return a.S
}

// auditState is a state or a source in the reader's language; an unknown
// one shows as its code.
func (p *Pages) auditState(v *View, s string) string {
	for _, key := range []string{"audit.state." + s, "ledger." + s, "ledger.result." + s, "settle.status." + s, "logistics." + s} {
		if p.has(key) {
			return v.T(key)
		}
	}
	return s
}

// auditChange is an entry's before → after in the reader's language when
// both are states the catalogues know (a customs declaration's
// "status@vN" by its status); "" when there is no such change.
// english is true for a change only the stored English can say.
func (p *Pages) auditChange(v *View, e audit.Entry, described bool) (text string, english bool) {
	if e.Before == "" && e.After == "" {
		return "", false
	}
	word := func(s string) (string, bool) {
		if s == "" {
			return "—", true
		}
		if st, _, ok := strings.Cut(s, "@v"); ok && e.SubjectType == "customs_declaration" && p.has("customs.status."+st) {
			return v.T("customs.status." + st), true
		}
		if t := p.auditState(v, s); t != s {
			return t, true
		}
		return s, false
	}
	b, okB := word(e.Before)
	a, okA := word(e.After)
	if okB && okA {
		return b + " → " + a, false
	}
	if described {
		return "", false // the detail says it
	}
	return e.Before + " → " + e.After, true
}

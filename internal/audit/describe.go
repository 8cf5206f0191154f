package audit

import (
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The log stores each entry's Before, After and Detail as the short English
// references the services have always written (they are part of the hash
// chain, so old entries cannot be rewritten). Describe reads them back into
// a kind and typed arguments, so that a page can say them in its reader's
// language: amounts formatted per locale, organisations by name, states
// and roles from the catalogues, and the words a person typed (a note, a
// reason, a label) as typed. The forms below are the only ones the
// services write; an entry that matches none is not described, and a page
// then shows its stored English, marked as such.

// Event is an entry's detail in structured form. Kind names the sentence
// (the UI's catalogue key audit.ev.<Kind>); "" means the action itself says
// everything and there is no detail. When Count is set the sentence is a
// plural one, chosen by Count's value and given Count first.
type Event struct {
	Kind  string
	Count *int
	Args  []Arg
	// List is rendered joined, as the sentence's last argument (amounts
	// per currency).
	List []Arg
}

// ArgType says how a page renders an argument.
type ArgType int

const (
	ArgText   ArgType = iota // shown as stored: a name, a note, an e-mail, a reference
	ArgCode                  // a technical code shown as code: a BIC, a currency pair, an id
	ArgAmount                // Minor units of Currency; Exp -1: the currency's own exponent
	ArgRate                  // a decimal rate, written with the reader's decimal mark
	ArgOrg                   // an organisation id, shown by its name
	ArgState                 // a state, from the catalogue (audit.state.<S>)
	ArgRoles                 // comma-separated roles, from the catalogue
	ArgTime                  // an instant
	ArgNumber                // a whole number
)

// Arg is one typed argument of an Event.
type Arg struct {
	Type     ArgType
	S        string
	Minor    int64
	Exp      int
	Currency string
	T        time.Time
}

func text(s string) Arg  { return Arg{Type: ArgText, S: s} }
func code(s string) Arg  { return Arg{Type: ArgCode, S: s} }
func state(s string) Arg { return Arg{Type: ArgState, S: s} }
func number(n int64) Arg { return Arg{Type: ArgNumber, Minor: n} }

func minor(ccy string, v int64) Arg { return Arg{Type: ArgAmount, Minor: v, Exp: -1, Currency: ccy} }

// decimal reads "1250.50" as 125050 with exponent 2.
func decimal(s, ccy string) (Arg, bool) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || whole == "" {
		return Arg{}, false
	}
	return Arg{Type: ArgAmount, Minor: v, Exp: len(frac), Currency: ccy}, true
}

func counted(kind string, n int, args ...Arg) Event { return Event{Kind: kind, Count: &n, Args: args} }

var (
	reSubmitted  = regexp.MustCompile(`^(\d+) submitted \((.*)\)$`)
	reKZT        = regexp.MustCompile(`^(-?[0-9]+(?:\.[0-9]+)?) KZT$`)
	reIssue      = regexp.MustCompile(`^(-?[0-9]+(?:\.[0-9]+)?) KZT to (\S+) until (\S+)$`)
	reRelease    = regexp.MustCompile(`^(-?[0-9]+(?:\.[0-9]+)?) KZT to release$`)
	reDraw       = regexp.MustCompile(`^(-?[0-9]+(?:\.[0-9]+)?) KZT for declaration (\S+)$`)
	reMove       = regexp.MustCompile(`^(-?[0-9]+(?:\.[0-9]+)?) KZT, transfer (\S+)$`)
	reRate       = regexp.MustCompile(`^(\S+) bid (\S+) ask (\S+)(?: until (\S+))?(?: flag (\S+))?$`)
	reFee        = regexp.MustCompile(`^bps (\d+)((?: fixed [A-Z]{3} -?\d+)*)$`)
	reFixed      = regexp.MustCompile(`fixed ([A-Z]{3}) (-?\d+)`)
	reQuote      = regexp.MustCompile(`^([A-Z]{3}) (\d+) -> ([A-Z]{3}) (\d+)(?: in (\d+) leg\(s\))?$`)
	reReference  = regexp.MustCompile(`^(\d+) rate\(s\) on (\d+) date\(s\) via (\S+) from ("(?:[^"\\]|\\.)*"):`)
	reInvoices   = regexp.MustCompile(`^(\d+) invoice\(s\) via (\S+)$`)
	reRun        = regexp.MustCompile(`^run (\d+): (\d+) set-offs$`)
	reCycle      = regexp.MustCompile(`^cycle (\d+): (\d+) settled, (\d+) deferred, (\d+) transfers$`)
	reAccount    = regexp.MustCompile(`^([A-Z]{3}) (\S+)$`)
	reCreatedNew = regexp.MustCompile(`^(\d+) (?:new|created)$`)
	// Logistics (internal/logistics service.go writes these).
	reDeparture = regexp.MustCompile(`^(rail|road|sea|air) ([A-Z0-9]{5})-([A-Z0-9]{5}) (\S+), (\d+) TEU (\d+) kg$`)
	reDepartV   = regexp.MustCompile(`^v(\d+): ([A-Z0-9]{5})-([A-Z0-9]{5}) (\S+), (\d+) TEU (\d+) kg$`)
	reShipment  = regexp.MustCompile(`^([A-Z0-9]{5})-([A-Z0-9]{5}), (\d+) TEU (\d+) kg, by (\S+)$`)
	reBooking   = regexp.MustCompile(`^booking (\S+) on (\S+), (-?[0-9]+(?:\.[0-9]+)?) ([A-Z]{3})$`)
	reLegEvent  = regexp.MustCompile(`^leg (\d+) \((\S+)\) at (\S+)$`)
	rePlan      = regexp.MustCompile(`^(\d+) shipments, (\d+) booked, (\d+) left, cost (-?[0-9.]+) ([A-Z]{3}), bound (-?[0-9.]+)$`)
)

// Describe reads r's detail into an Event; ok is false when the stored
// English matches no form the services write (customs declarations are
// described by the customs package's own events, not here).
func Describe(r Record) (Event, bool) {
	d := strings.TrimSpace(r.Detail)
	if strings.HasPrefix(d, "{") && strings.Contains(d, `"totals_minor"`) {
		return moved(r) // what any ledger request moved
	}
	if strings.HasPrefix(r.Action, "guarantee.") {
		if m := reMove.FindStringSubmatch(d); m != nil { // a move completed
			a, _ := decimal(m[1], "KZT")
			return Event{Kind: "guarantee_move", Args: []Arg{a, code(m[2])}}, true
		}
	}
	if strings.HasPrefix(r.Action, "logistics.") {
		return describeLogistics(r.Action, d)
	}
	if strings.HasPrefix(r.Action, "booking.") {
		return describeBooking(r.Action, d)
	}
	if strings.HasPrefix(r.Action, "market.rfq.") || strings.HasPrefix(r.Action, "market.quote.") || strings.HasPrefix(r.Action, "market.order.") {
		return describeOrder(r.Action, d)
	}
	if strings.HasPrefix(r.Action, "expo.") {
		return describeExpo(r.Action, d)
	}
	if strings.HasPrefix(r.Action, "clinic.") {
		return describeClinic(r.Action, d)
	}
	if strings.HasPrefix(r.Action, "deal.") {
		return describeDeal(r.Action, d)
	}
	if strings.HasPrefix(r.Action, "festival.") {
		return describeFestival(r.Action, d)
	}
	if strings.HasPrefix(r.Action, "education.") {
		return describeEducation(r.Action, d)
	}
	switch r.Action {
	case "market.product.publish", "market.product.update": // "<HS> <origin>"
		if hs, origin, ok := strings.Cut(d, " "); ok && len(hs) == 6 && len(origin) == 2 {
			return Event{Kind: "product", Args: []Arg{code(hs), code(origin)}}, true
		}
	case "market.image.add", "market.image.delete": // "<image id>"
		if len(d) == 36 {
			return Event{Kind: "product_image", Args: []Arg{code(d)}}, true
		}
	case "market.contract_price.set":
		if buyer, ok := strings.CutPrefix(d, "buyer "); ok && buyer != "" {
			return Event{Kind: "contract_price", Args: []Arg{{Type: ArgOrg, S: buyer}}}, true
		}
	case "market.group_price.set": // "group <buyer group id>"
		if g, ok := strings.CutPrefix(d, "group "); ok && len(g) == 36 {
			return Event{Kind: "group_price", Args: []Arg{code(g)}}, true
		}
	case "market.buyer_group.create", "market.buyer_group.rename", "market.buyer_group.delete": // "<name>"
		if d != "" {
			return Event{Kind: "buyer_group_" + strings.TrimPrefix(r.Action, "market.buyer_group."), Args: []Arg{text(d)}}, true
		}
	case "market.buyer_group.add", "market.buyer_group.remove": // "buyer <org>"
		if buyer, ok := strings.CutPrefix(d, "buyer "); ok && buyer != "" {
			return Event{Kind: "buyer_group_" + strings.TrimPrefix(r.Action, "market.buyer_group."), Args: []Arg{{Type: ArgOrg, S: buyer}}}, true
		}
	}
	switch r.Action {
	case "org.create", "session.create", "session.delete", "api_token.revoke", "notify.webhook.delete", "ledger.account.close":
		return Event{}, true
	case "user.create":
		return Event{Kind: "user_created", Args: []Arg{{Type: ArgRoles, S: r.After}, text(d)}}, true
	case "user.disable":
		if r.After == "false" {
			return Event{Kind: "user_enabled", Args: []Arg{text(d)}}, true
		}
		return Event{Kind: "user_disabled", Args: []Arg{text(d)}}, true
	case "api_token.create":
		return Event{Kind: "token_created", Args: []Arg{text(d), {Type: ArgRoles, S: r.After}}}, true
	case "notify.webhook.create":
		if d == "" {
			return Event{Kind: "webhook_created", Args: []Arg{code(r.After)}}, true
		}
		return Event{Kind: "webhook_created_note", Args: []Arg{code(r.After), text(d)}}, true
	case "settlement.participant":
		return Event{Kind: "participant", Args: []Arg{code(r.After)}}, true
	case "settlement.instructions":
		if m := reSubmitted.FindStringSubmatch(d); m != nil {
			n, _ := strconv.Atoi(m[1])
			return counted("instructions_submitted", n, state("source."+m[2])), true
		}
	case "settlement.instruction.cancel", "settlement.instruction.hold", "settlement.instruction.release":
		e2e, reason, _ := strings.Cut(d, " ")
		if reason = strings.TrimSpace(reason); reason != "" {
			return Event{Kind: "instruction_reason", Args: []Arg{code(e2e), text(reason)}}, true
		}
		return Event{Kind: "instruction", Args: []Arg{code(e2e)}}, true
	case "settlement.cycle":
		if m := reCycle.FindStringSubmatch(r.After); m != nil {
			c, _ := strconv.ParseInt(m[1], 10, 64)
			s, _ := strconv.ParseInt(m[2], 10, 64)
			df, _ := strconv.ParseInt(m[3], 10, 64)
			tr, _ := strconv.ParseInt(m[4], 10, 64)
			return Event{Kind: "cycle", Args: []Arg{number(c), number(s), number(df), number(tr)}}, true
		}
		if r.After == "" && (d == "" || strings.HasPrefix(d, "demo")) {
			return Event{}, true
		}
	case "guarantee.reserve":
		if m := reKZT.FindStringSubmatch(d); m != nil {
			a, _ := decimal(m[1], "KZT")
			return Event{Kind: "amount", Args: []Arg{a}}, true
		}
	case "guarantee.issue":
		if m := reIssue.FindStringSubmatch(d); m != nil {
			a, _ := decimal(m[1], "KZT")
			t, err := time.Parse(time.RFC3339, m[3])
			if err == nil {
				return Event{Kind: "guarantee_issued", Args: []Arg{a, {Type: ArgOrg, S: m[2]}, {Type: ArgTime, T: t}}}, true
			}
		}
	case "guarantee.unreserve":
		if d == "not recorded" {
			return Event{Kind: "guarantee_not_recorded"}, true
		}
	case "guarantee.cancel":
		if m := reRelease.FindStringSubmatch(d); m != nil {
			a, _ := decimal(m[1], "KZT")
			return Event{Kind: "guarantee_release", Args: []Arg{a}}, true
		}
		if m := reMove.FindStringSubmatch(d); m != nil {
			a, _ := decimal(m[1], "KZT")
			return Event{Kind: "guarantee_move", Args: []Arg{a, code(m[2])}}, true
		}
	case "guarantee.draw":
		if m := reDraw.FindStringSubmatch(d); m != nil {
			a, _ := decimal(m[1], "KZT")
			return Event{Kind: "guarantee_draw", Args: []Arg{a, code(m[2])}}, true
		}
		if m := reMove.FindStringSubmatch(d); m != nil {
			a, _ := decimal(m[1], "KZT")
			return Event{Kind: "guarantee_move", Args: []Arg{a, code(m[2])}}, true
		}
	case "guarantee.cancel.refused", "guarantee.draw.refused":
		return Event{Kind: "refused", Args: []Arg{state(d)}}, true
	case "fx.rate.publish":
		if m := reRate.FindStringSubmatch(d); m != nil {
			args := []Arg{code(m[1]), {Type: ArgRate, S: m[2]}, {Type: ArgRate, S: m[3]}}
			if m[4] != "" {
				if t, err := time.Parse(time.RFC3339, m[4]); err == nil {
					return Event{Kind: "rate_until", Args: append(args, Arg{Type: ArgTime, T: t})}, true
				}
				return Event{}, false
			}
			return Event{Kind: "rate", Args: args}, true
		}
	case "fx.fee.set":
		if m := reFee.FindStringSubmatch(d); m != nil {
			bps, _ := strconv.ParseInt(m[1], 10, 64)
			ev := Event{Kind: "fee", Args: []Arg{number(bps)}}
			fixed := reFixed.FindAllStringSubmatch(m[2], -1)
			sort.Slice(fixed, func(i, j int) bool { return fixed[i][1] < fixed[j][1] })
			for _, f := range fixed {
				v, _ := strconv.ParseInt(f[2], 10, 64)
				ev.List = append(ev.List, minor(f[1], v))
			}
			if len(fixed) > 0 {
				ev.Kind = "fee_fixed"
			}
			return ev, true
		}
	case "fx.quote.create", "fx.quote.claim":
		if m := reQuote.FindStringSubmatch(d); m != nil {
			sell, _ := strconv.ParseInt(m[2], 10, 64)
			buy, _ := strconv.ParseInt(m[4], 10, 64)
			return Event{Kind: "quote", Args: []Arg{minor(m[1], sell), minor(m[3], buy)}}, true
		}
	case "fx.reference.publish":
		if m := reReference.FindStringSubmatch(d); m != nil {
			n, _ := strconv.Atoi(m[1])
			dates, _ := strconv.ParseInt(m[2], 10, 64)
			src, err := strconv.Unquote(m[4])
			if err == nil {
				return counted("reference", n, number(dates), text(src)), true
			}
		}
	case "ledger.transfers", "fx.conversion", "ledger.pending.expire":
		return moved(r)
	case "ledger.account.create":
		if d == "system account" || strings.HasPrefix(d, "demo") {
			if m := reAccount.FindStringSubmatch(r.After); m != nil {
				return Event{Kind: "account_system", Args: []Arg{code(m[1])}}, true
			}
			return Event{}, true
		}
		if m := reAccount.FindStringSubmatch(r.After); m != nil {
			return Event{Kind: "account", Args: []Arg{code(m[1]), state("kind." + m[2]), text(d)}}, true
		}
	case "ledger.issuance.limit":
		if a, ok := decimal(r.After, d); ok && len(d) == 3 {
			return Event{Kind: "limit", Args: []Arg{a}}, true
		}
	case "ledger.counterparty.save":
		return Event{Kind: "counterparty", Args: []Arg{text(d), code(r.After)}}, true
	case "ledger.counterparty.delete":
		return Event{}, true
	case "obligations.invoice.create":
		if m := reInvoices.FindStringSubmatch(d); m != nil {
			n, _ := strconv.Atoi(m[1])
			return counted("invoices", n, state("source."+m[2])), true
		}
	case "obligations.invoice.confirm":
		return Event{Kind: "invoice", Args: []Arg{text(d)}}, true
	case "obligations.run":
		if m := reRun.FindStringSubmatch(r.After); m != nil {
			run, _ := strconv.ParseInt(m[1], 10, 64)
			n, _ := strconv.Atoi(m[2])
			return counted("run", n, number(run)), true
		}
	case "customs.aeo.grant", "customs.aeo.withdraw":
		if d == "" {
			return Event{}, true
		}
		return Event{Kind: "note", Args: []Arg{text(d)}}, true
	}
	if d == "" && r.Before == "" && r.After == "" {
		return Event{}, true
	}
	return Event{}, false
}

// moved reads a ledger request's entry: After "N created" and the JSON
// detail the ledger writes (totals per currency in minor units).
func moved(r Record) (Event, bool) {
	var d struct {
		Submitted int              `json:"submitted"`
		Created   int              `json:"created"`
		Totals    map[string]int64 `json:"totals_minor"`
	}
	if err := json.Unmarshal([]byte(r.Detail), &d); err != nil {
		if m := reCreatedNew.FindStringSubmatch(r.After); m != nil && r.Detail == "" {
			n, _ := strconv.Atoi(m[1])
			return counted("transfers", n), true
		}
		return Event{}, false
	}
	ccys := make([]string, 0, len(d.Totals))
	for c := range d.Totals {
		ccys = append(ccys, c)
	}
	sort.Strings(ccys)
	ev := counted("transfers", d.Created)
	for _, c := range ccys {
		ev.List = append(ev.List, minor(c, d.Totals[c]))
	}
	if len(ccys) > 0 {
		ev.Kind = "transfers_total"
	}
	return ev, true
}

// describeLogistics reads the details the logistics service writes: a
// departure published or changed, a shipment entered, a booking made or
// cancelled, a tracking event on a leg, a dispatcher's run.
func describeLogistics(action, d string) (Event, bool) {
	at := func(s string) (Arg, bool) {
		t, err := time.Parse(time.RFC3339, s)
		return Arg{Type: ArgTime, T: t}, err == nil
	}
	whole := func(s string) Arg { n, _ := strconv.ParseInt(s, 10, 64); return number(n) }
	switch {
	case action == "logistics.departure.publish":
		if m := reDeparture.FindStringSubmatch(d); m != nil {
			if t, ok := at(m[4]); ok {
				return Event{Kind: "departure_published", Args: []Arg{state("mode." + m[1]), code(m[2]), code(m[3]), t, whole(m[5]), whole(m[6])}}, true
			}
		}
	case action == "logistics.departure.update":
		if m := reDepartV.FindStringSubmatch(d); m != nil {
			if t, ok := at(m[4]); ok {
				return Event{Kind: "departure_updated", Args: []Arg{whole(m[1]), code(m[2]), code(m[3]), t, whole(m[5]), whole(m[6])}}, true
			}
		}
	case action == "logistics.shipment.create":
		if m := reShipment.FindStringSubmatch(d); m != nil {
			if t, ok := at(m[5]); ok {
				return Event{Kind: "shipment_created", Args: []Arg{code(m[1]), code(m[2]), whole(m[3]), whole(m[4]), t}}, true
			}
		}
	case action == "logistics.book":
		if m := reBooking.FindStringSubmatch(d); m != nil {
			if a, ok := decimal(m[3], m[4]); ok {
				return counted("booked", len(strings.Split(m[2], ";")), a), true
			}
		}
	case action == "logistics.booking.cancel":
		if id, ok := strings.CutPrefix(d, "booking "); ok && !strings.ContainsRune(id, ' ') {
			return Event{Kind: "booking_cancelled", Args: []Arg{code(id)}}, true
		}
	case strings.HasPrefix(action, "logistics.event."):
		if m := reLegEvent.FindStringSubmatch(d); m != nil {
			if t, ok := at(m[3]); ok {
				return Event{Kind: "leg_event", Args: []Arg{whole(m[1]), t}}, true
			}
		}
	case action == "logistics.plan":
		if m := rePlan.FindStringSubmatch(d); m != nil {
			cost, ok1 := decimal(m[4], m[5])
			bound, ok2 := decimal(m[6], m[5])
			if ok1 && ok2 {
				return Event{Kind: "dispatch_plan", Args: []Arg{whole(m[1]), whole(m[2]), whole(m[3]), cost, bound}}, true
			}
		}
	}
	return Event{}, false
}

// describeBooking reads the details the booking service writes.
func describeBooking(action, d string) (Event, bool) {
	at := func(s string) (Arg, bool) {
		t, err := time.Parse(time.RFC3339, s)
		return Arg{Type: ArgTime, T: t}, err == nil
	}
	switch action {
	case "booking.resource.create", "booking.resource.update":
		if d != "" {
			return Event{Kind: "named", Args: []Arg{text(d)}}, true
		}
	case "booking.hold": // "<resource name> <start>"
		if i := strings.LastIndexByte(d, ' '); i > 0 {
			if t, ok := at(d[i+1:]); ok {
				return Event{Kind: "booking_hold", Args: []Arg{text(d[:i]), t}}, true
			}
		}
	case "booking.reserve", "booking.pay", "booking.refund":
		if m := reKZT.FindStringSubmatch(d); m != nil {
			a, _ := decimal(m[1], "KZT")
			return Event{Kind: "amount", Args: []Arg{a}}, true
		}
	case "booking.cancel":
		if d == "hold released" {
			return Event{Kind: "booking_hold_released"}, true
		}
		if amt, ok := strings.CutSuffix(d, " KZT refund"); ok {
			if a, ok := decimal(amt, "KZT"); ok {
				return Event{Kind: "booking_refund_due", Args: []Arg{a}}, true
			}
		}
	case "booking.drop": // the ledger refused the payment; its message stays in the stored detail
		return Event{Kind: "booking_dropped"}, true
	case "booking.confirm", "booking.release":
		if d == "" {
			return Event{}, true
		}
	case "booking.expire":
		if d != "" && !strings.ContainsRune(d, ' ') {
			return Event{Kind: "refused", Args: []Arg{state(d)}}, true
		}
	case "booking.confirmed", "booking.refunded": // the ledger transfer's id
		if d != "" && !strings.ContainsRune(d, ' ') {
			return Event{Kind: "booking_transfer", Args: []Arg{code(d)}}, true
		}
	case "booking.wait":
		if t, ok := at(d); ok {
			return Event{Kind: "booking_wait", Args: []Arg{t}}, true
		}
	}
	return Event{}, false
}

// describeFestival reads the details the festival service writes.
func describeFestival(action, d string) (Event, bool) {
	// "<text> <RFC 3339 time>": a performance's English title or a
	// ticket's category, then the performance's start.
	split := func() (Arg, Arg, bool) {
		i := strings.LastIndexByte(d, ' ')
		if i <= 0 {
			return Arg{}, Arg{}, false
		}
		t, err := time.Parse(time.RFC3339, d[i+1:])
		return text(d[:i]), Arg{Type: ArgTime, T: t}, err == nil
	}
	switch action {
	case "festival.create":
		if d != "" {
			return Event{Kind: "named", Args: []Arg{text(d)}}, true
		}
	case "festival.performance.create", "festival.performance.cancel":
		if a, t, ok := split(); ok {
			return Event{Kind: "fest_performance", Args: []Arg{a, t}}, true
		}
	case "festival.ticket.issue":
		if a, t, ok := split(); ok {
			return Event{Kind: "fest_ticket", Args: []Arg{a, t}}, true
		}
	case "festival.ticket.admit", "festival.ticket.cancel":
		if d == "" {
			return Event{}, true
		}
	}
	return Event{}, false
}

// describeEducation reads the details the education service writes: a
// partner's name, a programme's English title, a course's title (on its
// creation and on an enrolment), a certificate's code, an application's
// term; the workflow's steps carry none.
func describeEducation(action, d string) (Event, bool) {
	switch action {
	case "education.partner.add", "education.programme.create", "education.course.create", "education.enrol",
		"education.certificate.issue", "education.exchange.apply":
		if d != "" {
			return Event{Kind: "named", Args: []Arg{text(d)}}, true
		}
	case "education.withdraw", "education.complete", "education.exchange.home_approve", "education.exchange.home_reject",
		"education.exchange.host_approve", "education.exchange.host_reject", "education.exchange.withdraw":
		if d == "" {
			return Event{}, true
		}
	}
	return Event{}, false
}

// describeDeal reads the details the agreement-signing service (internal/deal) writes: a key's
// label, an agreement's title, and at creation the title with the document's SHA-256.
func describeDeal(action, d string) (Event, bool) {
	switch action {
	case "deal.key.register", "deal.agreement.sign", "deal.agreement.signed":
		if d != "" {
			return Event{Kind: "named", Args: []Arg{text(d)}}, true
		}
	case "deal.agreement.create": // "<title> · SHA-256 <hex>"
		if i := strings.LastIndex(d, " · SHA-256 "); i > 0 {
			if h := d[i+len(" · SHA-256 "):]; len(h) == 64 && !strings.ContainsRune(h, ' ') {
				return Event{Kind: "deal_created", Args: []Arg{text(d[:i]), code(h)}}, true
			}
		}
	}
	return Event{}, false
}

// describeClinic reads the details the clinic service writes: a doctor's
// or a package's name, a consultation's start; notes and prescriptions
// carry no detail at all, so no medical content reaches the audit log.
func describeClinic(action, d string) (Event, bool) {
	switch action {
	case "clinic.doctor.add", "clinic.package.add":
		if d != "" {
			return Event{Kind: "named", Args: []Arg{text(d)}}, true
		}
	case "clinic.consultation.book":
		if t, err := time.Parse(time.RFC3339, d); err == nil {
			return Event{Kind: "clinic_consultation", Args: []Arg{{Type: ArgTime, T: t}}}, true
		}
	case "clinic.consultation.cancel", "clinic.note.add", "clinic.prescription.add":
		if d == "" {
			return Event{}, true
		}
	}
	return Event{}, false
}

// describeExpo reads the details the expo service writes.
func describeExpo(action, d string) (Event, bool) {
	switch action {
	case "expo.create", "expo.hall.create", "expo.apply":
		if d != "" {
			return Event{Kind: "named", Args: []Arg{text(d)}}, true
		}
	case "expo.booth.create": // "<code> <price> KZT"
		if m := reExpoBooth.FindStringSubmatch(d); m != nil {
			if a, ok := decimal(m[2], "KZT"); ok {
				return Event{Kind: "expo_booth", Args: []Arg{code(m[1]), a}}, true
			}
		}
	case "expo.allocate": // "booth <code>"
		if c, ok := strings.CutPrefix(d, "booth "); ok && c != "" && !strings.ContainsRune(c, ' ') {
			return Event{Kind: "expo_booth_given", Args: []Arg{code(c)}}, true
		}
	case "expo.fee":
		if m := reKZT.FindStringSubmatch(d); m != nil {
			a, _ := decimal(m[1], "KZT")
			return Event{Kind: "amount", Args: []Arg{a}}, true
		}
	case "expo.paid": // the ledger transfer's id; none for a free booth
		if d == "" {
			return Event{}, true
		}
		if !strings.ContainsRune(d, ' ') {
			return Event{Kind: "booking_transfer", Args: []Arg{code(d)}}, true
		}
	case "expo.showcase": // "<HS> <origin>"
		if hs, origin, ok := strings.Cut(d, " "); ok && len(hs) == 6 && len(origin) == 2 {
			return Event{Kind: "product", Args: []Arg{code(hs), code(origin)}}, true
		}
	case "expo.approve", "expo.reject", "expo.register", "expo.meeting.request", "expo.meeting.accept", "expo.meeting.decline":
		if d == "" {
			return Event{}, true
		}
	case "expo.schedule":
		if m := reExpoSchedule.FindStringSubmatch(d); m != nil {
			n := func(s string) Arg { v, _ := strconv.ParseInt(s, 10, 64); return number(v) }
			return Event{Kind: "expo_schedule", Args: []Arg{n(m[1]), n(m[2]), n(m[3])}}, true
		}
	}
	return Event{}, false
}

var (
	reExpoBooth    = regexp.MustCompile(`^([A-Z0-9-]{1,16}) (-?[0-9]+(?:\.[0-9]+)?) KZT$`)
	reExpoSchedule = regexp.MustCompile(`^(\d+) of (\d+) placed, greedy (\d+)$`)
)

// describeOrder reads the details the order service (internal/order)
// writes: amounts "<decimal> <CCY>", ledger ids, people's own reasons.
func describeOrder(action, d string) (Event, bool) {
	amount := func(s string) (Arg, bool) {
		amt, ccy, ok := strings.Cut(s, " ")
		if !ok || len(ccy) != 3 {
			return Arg{}, false
		}
		return decimal(amt, ccy)
	}
	single := d != "" && !strings.ContainsRune(d, ' ')
	switch action {
	case "market.rfq.post": // "<HS> <quantity> <unit>"
		if f := strings.Fields(d); len(f) == 3 {
			return Event{Kind: "order_rfq", Args: []Arg{code(f[0]), text(f[1] + " " + f[2])}}, true
		}
	case "market.quote.submit", "market.order.paying", "market.order.escrow", "market.order.release", "market.order.void":
		if a, ok := amount(d); ok {
			return Event{Kind: "amount", Args: []Arg{a}}, true
		}
	case "market.order.create": // "<HS> <decimal> <CCY>"
		if hs, rest, ok := strings.Cut(d, " "); ok {
			if a, ok := amount(rest); ok {
				return Event{Kind: "order_created", Args: []Arg{code(hs), a}}, true
			}
		}
	case "market.order.paid", "market.order.released", "market.order.voided": // the ledger transfer's id
		if single {
			return Event{Kind: "order_transfer", Args: []Arg{code(d)}}, true
		}
	case "market.order.confirmed": // "<declaration> <shipment>"
		if decl, ship, ok := strings.Cut(d, " "); ok {
			return Event{Kind: "order_confirmed", Args: []Arg{code(decl), code(ship)}}, true
		}
	case "market.order.payment_refused": // the ledger's result code
		if single {
			return Event{Kind: "refused", Args: []Arg{state(d)}}, true
		}
	case "market.order.confirming", "market.order.shipped", "market.order.delivered", "market.order.window_ended":
		if d == "" {
			return Event{}, true
		}
	case "market.order.cancelled", "market.order.cancelling", "market.order.disputed", "market.order.confirm_failed":
		if d == "" {
			return Event{}, true
		}
		return Event{Kind: "order_reason", Args: []Arg{text(d)}}, true
	case "market.order.ruled":
		if d == "buyer" || d == "seller" {
			return Event{Kind: "order_ruled_" + d}, true
		}
	case "market.order.review":
		if n, err := strconv.Atoi(d); err == nil && n >= 1 && n <= 5 {
			return Event{Kind: "order_stars", Args: []Arg{number(int64(n))}}, true
		}
	}
	return Event{}, false
}

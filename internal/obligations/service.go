package obligations

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"bricstown/internal/audit"
	"bricstown/internal/clearing"
	"bricstown/internal/identity"
	"bricstown/internal/money"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// Config is the service's environment.
type Config struct {
	// Exponent gives a currency's minor units; currencies it does not know
	// (or that hold no money) are refused.
	Exponent func(ccy string) (int, bool)
	Now      func() time.Time
	Log      *slog.Logger
	// Solve computes the set-off; clearing.Solve unless a test or an
	// alternative solver is plugged in. Its result is certified with
	// clearing.Certify either way and refused if it does not certify.
	Solve func(n int, obligations []clearing.Obligation) (clearing.Result, error)
	// MaxBatch bounds the invoices of one request (default 20 000).
	MaxBatch int
}

// Service applies the register's rules on top of a Store.
type Service struct {
	store Store
	cfg   Config
}

// NewService fills in defaults.
func NewService(store Store, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Solve == nil {
		cfg.Solve = clearing.Solve
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 20_000
	}
	if cfg.Exponent == nil {
		cfg.Exponent = func(string) (int, bool) { return 0, false }
	}
	return &Service{store: store, cfg: cfg}
}

// AnyRun reports whether a clearing run has been recorded (the demo seeder
// runs one only when none has).
func (s *Service) AnyRun(ctx context.Context) (bool, error) {
	runs, err := s.store.ListRuns(ctx, 0, 1)
	return len(runs) > 0, err
}

// Exponent is the minor-unit exponent of ccy, 0 if unknown.
func (s *Service) Exponent(ccy string) int {
	e, _ := s.cfg.Exponent(ccy)
	return e
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) today() time.Time { return s.now().Truncate(24 * time.Hour) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func record(p *identity.Principal, action, subjectType, subjectID, orgID, after, detail string) audit.Record {
	u, o := p.Actor()
	return audit.Record{ActorUser: u, ActorOrg: o, Action: action, SubjectType: subjectType, SubjectID: subjectID,
		OrgID: orgID, After: after, Detail: detail}
}

// HoldsInvoices reports whether p works with its organisation's invoices:
// a company's traders and administrators. The platform administrator does
// not, even as the administrator of the town's own organisation: it runs
// clearing for the whole town, and an organisation's invoices are that
// organisation's private data, so it sees runs and their totals only. The
// route table asks the same question, so a page or endpoint it refuses is
// also absent from the navigation.
func HoldsInvoices(p *identity.Principal) bool {
	return p != nil && p.HasAny(identity.Trader, identity.OrgAdmin) && !p.Has(identity.PlatformAdmin)
}

// CanEnter reports whether p may enter and confirm invoices for its org.
func CanEnter(p *identity.Principal) bool { return HoldsInvoices(p) }

// NewInvoice is an invoice as a creditor submits it. Amount is a decimal in
// the currency's units ("1250.50"); dates are YYYY-MM-DD.
type NewInvoice struct {
	Number    string `json:"number"`
	Debtor    string `json:"debtor"`
	Creditor  string `json:"creditor,omitempty"` // optional: must be the caller's organisation
	Amount    string `json:"amount"`
	Currency  string `json:"currency"`
	IssueDate string `json:"issue_date,omitempty"` // default: today (UTC)
	DueDate   string `json:"due_date"`
}

// DateLayout is how the API and CSV files write dates.
const DateLayout = "2006-01-02"

// ParseDate reads a YYYY-MM-DD date as UTC midnight.
func ParseDate(s string) (time.Time, bool) {
	t, err := time.ParseInLocation(DateLayout, strings.TrimSpace(s), time.UTC)
	return t, err == nil
}

// partyResolver looks parties up once per request.
type partyResolver struct {
	s     *Service
	ctx   context.Context
	cache map[string]partyAnswer
}

type partyAnswer struct {
	party Party
	msg   string // why the key names no usable party
	err   error  // storage failure
}

var countryPrefix = regexp.MustCompile(`^([A-Za-z]{2}):(.+)$`)

func (r *partyResolver) resolve(key string) (Party, string, error) {
	key = strings.TrimSpace(key)
	if a, ok := r.cache[key]; ok {
		return a.party, a.msg, a.err
	}
	a := r.lookup(key)
	r.cache[key] = a
	return a.party, a.msg, a.err
}

func (r *partyResolver) lookup(key string) partyAnswer {
	if key == "" {
		return partyAnswer{msg: "is required: an organisation id or registration number"}
	}
	if len(key) > 100 {
		return partyAnswer{msg: "is too long for an organisation id or registration number"}
	}
	if _, err := uuid.Parse(key); err == nil && len(key) == 36 {
		p, err := r.s.store.PartyByID(r.ctx, strings.ToLower(key))
		if problem.Is(err, problem.NotFound) {
			return partyAnswer{msg: "no organisation has this id"}
		}
		return partyAnswer{party: p, err: err}
	}
	country, reg := "", key
	if m := countryPrefix.FindStringSubmatch(key); m != nil {
		country, reg = strings.ToUpper(m[1]), m[2]
	}
	ps, err := r.s.store.PartiesByRegID(r.ctx, country, identity.NormaliseRegID(reg))
	if err != nil {
		return partyAnswer{err: err}
	}
	switch len(ps) {
	case 0:
		return partyAnswer{msg: "no organisation is registered under this number"}
	case 1:
		return partyAnswer{party: ps[0]}
	}
	return partyAnswer{msg: fmt.Sprintf("this registration number is registered in %d countries; prefix the country code, e.g. %s:%s", len(ps), ps[0].Country, ps[0].RegID)}
}

func validNumber(s string) string {
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return "is required"
	case n > 64:
		return "must be at most 64 characters"
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return "must not contain control characters"
		}
	}
	return ""
}

// validate turns submitted invoices into stored ones, collecting every
// problem under name(i)+"."+field, so that a batch is refused whole with
// all its faults listed.
func (s *Service) validate(ctx context.Context, p *identity.Principal, in []NewInvoice, source string, name func(i int) string) ([]Invoice, error) {
	if len(in) == 0 {
		return nil, problem.New(problem.Invalid, "the batch holds no invoices")
	}
	if len(in) > s.cfg.MaxBatch {
		return nil, problem.New(problem.TooLarge, "at most %d invoices per request", s.cfg.MaxBatch)
	}
	f := problem.Fields{}
	res := &partyResolver{s: s, ctx: ctx, cache: map[string]partyAnswer{}}
	now := s.now()
	today := s.today()
	seen := map[string]int{}
	out := make([]Invoice, len(in))
	for i, x := range in {
		at := name(i) + "."
		inv := Invoice{ID: newID(), CreditorOrg: p.OrgID, Source: source, CreatedBy: p.UserID, CreatedAt: now}
		inv.Number = strings.TrimSpace(x.Number)
		if msg := validNumber(inv.Number); msg != "" {
			f.Add(at+"number", msg)
		} else if j, dup := seen[inv.Number]; dup {
			f.Addf(at+"number", "the same number is used by %s", name(j))
		} else {
			seen[inv.Number] = i
		}
		if strings.TrimSpace(x.Creditor) != "" {
			c, msg, err := res.resolve(x.Creditor)
			switch {
			case err != nil:
				return nil, err
			case msg != "":
				f.Add(at+"creditor", msg)
			case c.ID != p.OrgID:
				f.Add(at+"creditor", "must be your own organisation: invoices are entered by their creditor")
			}
		}
		d, msg, err := res.resolve(x.Debtor)
		switch {
		case err != nil:
			return nil, err
		case msg != "":
			f.Add(at+"debtor", msg)
		case d.ID == p.OrgID:
			f.Add(at+"debtor", "must be another organisation than the creditor")
		case d.Kind == identity.KindResidents:
			f.Add(at+"debtor", "must be an organisation, not the residents' community")
		default:
			inv.DebtorOrg, inv.DebtorName = d.ID, d.Name
		}
		inv.Currency = strings.ToUpper(strings.TrimSpace(x.Currency))
		exp, ok := s.cfg.Exponent(inv.Currency)
		if !ok {
			f.Add(at+"currency", "must be an ISO 4217 code of a currency that holds money, e.g. KZT")
		} else {
			a, err := money.ParsePositive(strings.TrimSpace(x.Amount), exp)
			switch {
			case err != nil:
				f.Add(at+"amount", problem.MessageOf(err))
			case a > MaxAmount:
				f.Addf(at+"amount", "must be at most %s", money.FormatAmount(MaxAmount, exp))
			default:
				inv.Amount, inv.Outstanding = a, a
			}
		}
		inv.IssueDate = today
		if strings.TrimSpace(x.IssueDate) != "" {
			t, ok := ParseDate(x.IssueDate)
			switch {
			case !ok:
				f.Add(at+"issue_date", "must be a date written YYYY-MM-DD")
			case t.After(today.AddDate(0, 0, 1)):
				f.Add(at+"issue_date", "must not be in the future")
			case t.Year() < 2000:
				f.Add(at+"issue_date", "must be in the year 2000 or later")
			default:
				inv.IssueDate = t
			}
		}
		t, ok := ParseDate(x.DueDate)
		switch {
		case strings.TrimSpace(x.DueDate) == "":
			f.Add(at+"due_date", "is required (YYYY-MM-DD)")
		case !ok:
			f.Add(at+"due_date", "must be a date written YYYY-MM-DD")
		case t.Before(inv.IssueDate):
			f.Add(at+"due_date", "must not be before the issue date")
		case t.After(inv.IssueDate.AddDate(10, 0, 0)):
			f.Add(at+"due_date", "must be within ten years of the issue date")
		default:
			inv.DueDate = t
		}
		out[i] = inv
	}
	if err := f.Err("the invoices are not valid; nothing was recorded"); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateInvoices records invoices owed to the caller's organisation. The
// batch is validated whole and stored whole, or not at all.
func (s *Service) CreateInvoices(ctx context.Context, p *identity.Principal, in []NewInvoice, source string) ([]Created, error) {
	if !CanEnter(p) {
		return nil, problem.New(problem.Forbidden, "invoices are entered by a company's traders or administrators")
	}
	if source == "" {
		source = SourceAPI
	}
	ins, err := s.validate(ctx, p, in, source, func(i int) string { return fmt.Sprintf("invoices[%d]", i) })
	if err != nil {
		return nil, err
	}
	return s.store.CreateInvoices(ctx, ins, s.createRecord(p, ins))
}

func (s *Service) createRecord(p *identity.Principal, ins []Invoice) audit.Record {
	subject := ins[0].ID
	if len(ins) > 1 {
		subject = ins[0].ID + ".." + ins[len(ins)-1].ID
	}
	return record(p, "obligations.invoice.create", "invoice", subject, p.OrgID, "", fmt.Sprintf("%d invoice(s) via %s", len(ins), ins[0].Source))
}

// visible returns the invoice if p may see it: a party's staff. Anything
// else is not found, so ids cannot be probed; whoever holds no invoices at
// all (the platform administrator) is refused before any id is read.
func (s *Service) visible(ctx context.Context, p *identity.Principal, id string) (Invoice, error) {
	if err := mayRead(p); err != nil {
		return Invoice{}, err
	}
	if _, err := uuid.Parse(id); err != nil {
		return Invoice{}, problem.New(problem.NotFound, "no such invoice")
	}
	inv, err := s.store.GetInvoice(ctx, id)
	if err != nil {
		return Invoice{}, err
	}
	if inv.SideFor(p.OrgID) == "" {
		return Invoice{}, problem.New(problem.NotFound, "no such invoice")
	}
	return inv, nil
}

// mayRead refuses whoever does not work with a company's invoices.
func mayRead(p *identity.Principal) error {
	if p == nil {
		return problem.New(problem.Unauthenticated, "sign in to see invoices")
	}
	if !HoldsInvoices(p) {
		return problem.New(problem.Forbidden, "invoices are seen by the staff of the companies that owe or are owed them")
	}
	return nil
}

// Invoice reads one invoice the caller may see.
func (s *Service) Invoice(ctx context.Context, p *identity.Principal, id string) (Invoice, error) {
	return s.visible(ctx, p, id)
}

// InvoiceSetOffs lists the set-offs applied to an invoice the caller may see.
func (s *Service) InvoiceSetOffs(ctx context.Context, p *identity.Principal, id string) ([]SetOffLine, error) {
	if _, err := s.visible(ctx, p, id); err != nil {
		return nil, err
	}
	return s.store.InvoiceSetOffs(ctx, id)
}

// Invoices lists the invoices the caller's organisation owes or is owed.
func (s *Service) Invoices(ctx context.Context, p *identity.Principal, f Filter) ([]Invoice, error) {
	if err := mayRead(p); err != nil {
		return nil, err
	}
	f.OrgID = p.OrgID
	fields := problem.Fields{}
	switch f.Side {
	case "", Receivable, Payable:
	default:
		fields.Add("side", "must be receivable or payable")
	}
	switch f.Status {
	case "", Open, PartlyCleared, Cleared:
	default:
		fields.Add("status", "must be open, partly_cleared or cleared")
	}
	if f.Currency != "" {
		f.Currency = strings.ToUpper(f.Currency)
		if _, ok := s.cfg.Exponent(f.Currency); !ok {
			fields.Add("currency", "must be an ISO 4217 code of a currency that holds money")
		}
	}
	f.Search = strings.TrimSpace(f.Search)
	if utf8.RuneCountInString(f.Search) > 100 {
		fields.Add("q", "at most 100 characters")
	}
	if err := fields.Err("bad filter"); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 5000 {
		f.Limit = 50
	}
	return s.store.ListInvoices(ctx, f)
}

// Summary totals the caller's organisation's invoices (orgID for the
// platform administrator; "" for the whole town).
func (s *Service) Summary(ctx context.Context, p *identity.Principal, orgID string) ([]SummaryRow, error) {
	if p == nil {
		return nil, problem.New(problem.Unauthenticated, "sign in to see invoices")
	}
	if !p.Has(identity.PlatformAdmin) {
		orgID = p.OrgID
	}
	return s.store.Summary(ctx, orgID)
}

// Confirm acknowledges an invoice on behalf of its debtor, which admits it
// to clearing. Confirming twice is harmless (changed is false). Only the
// debtor's traders or administrators confirm; the creditor and the
// platform administrator are told so, anyone else does not learn the
// invoice exists.
func (s *Service) Confirm(ctx context.Context, p *identity.Principal, id string) (inv Invoice, changed bool, err error) {
	inv, err = s.visible(ctx, p, id)
	if err != nil {
		return Invoice{}, false, err
	}
	if inv.DebtorOrg != p.OrgID || !CanEnter(p) {
		return Invoice{}, false, problem.New(problem.Forbidden, "only the debtor's traders or administrators confirm an invoice")
	}
	if inv.Confirmed() {
		return inv, false, nil
	}
	rec := record(p, "obligations.invoice.confirm", "invoice", inv.ID, inv.DebtorOrg, "confirmed", inv.Number)
	return s.store.ConfirmInvoice(ctx, inv.ID, p.UserID, s.now(), rec)
}

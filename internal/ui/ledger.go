package ui

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/chart"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/money"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// ---------------------------------------------------------------------------
// Helpers shared by the ledger and FX pages.

// exponent is the minor-unit exponent of a currency that holds money, 0 for
// anything else (which the services refuse before an amount is shown).
func (p *Pages) exponent(ccy string) int {
	if c, ok := p.Ref.Currency(ccy); ok && c.IsMoney() {
		return c.MinorUnits
	}
	return 0
}

// numberStyle is how a language writes numbers: the decimal mark and the
// digit-group separator.
func numberStyle(lang string) (decimal, group string) {
	switch lang {
	case "ru", "kk":
		return ",", "\u202f"
	case "pt":
		return ",", "."
	}
	return ".", ","
}

// amountText renders minor units for people: money.FormatAmount's exact
// digits, grouped and with the decimal mark of lang, and a true minus sign.
func amountText(lang string, minor int64, exp int) string {
	s := money.FormatAmount(minor, exp)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	dec, grp := numberStyle(lang)
	var b strings.Builder
	if neg {
		b.WriteString("−")
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(grp)
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteString(dec)
		b.WriteString(frac)
	}
	return b.String()
}

// amount renders minor units of ccy in lang.
func (p *Pages) amount(lang, ccy string, minor int64) string {
	return amountText(lang, minor, p.exponent(ccy))
}

// amountInput turns what a person typed into the API's decimal grammar
// with money.Delocalize, the one reading of numbers as lang writes them
// ("12,500,000.00", "12 500 000,00", "12.500.000,00"). What it cannot
// read unambiguously is passed on as typed, for the service to refuse:
// a mistake is reported, never guessed at.
func amountInput(lang, s string) string {
	if canon, err := money.Delocalize(s, money.LocaleOf(lang)); err == nil {
		return canon
	}
	return strings.TrimSpace(s)
}

// CurrencyOption is a currency in a form's select.
type CurrencyOption struct{ Code, Name string }

// townCurrencies are the currencies the town deals in: those of the BRICS
// members and partners, plus USD (for the comparison and for trade that is
// still invoiced in dollars), by code.
func (p *Pages) townCurrencies() []CurrencyOption {
	seen := map[string]bool{}
	var out []CurrencyOption
	add := func(code string) {
		c, ok := p.Ref.Currency(code)
		if !ok || !c.IsMoney() || seen[code] {
			return
		}
		seen[code] = true
		out = append(out, CurrencyOption{c.Code, c.Name})
	}
	for _, m := range p.Ref.BRICSCountries() {
		if c, ok := p.Ref.Country(m.Country); ok {
			for _, code := range c.Currencies {
				add(code)
			}
		}
	}
	add("USD")
	slices.SortFunc(out, func(a, b CurrencyOption) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// shortID is the tail of a UUID, enough to tell accounts apart on a
// statement (the head of a UUIDv7 is its timestamp, alike for ids made in
// the same minute); the full id is in the title attribute and the link.
func shortID(id string) string {
	if len(id) > 8 {
		return "…" + id[len(id)-8:]
	}
	return id
}

// has reports whether the English catalogue has key.
func (p *Pages) has(key string) bool {
	_, ok := p.cat["en"][key]
	return ok
}

// formFail puts a failed form's messages on v in v's language: the summary
// line formError gives, and each field message translated. A field
// message that is a ledger result code or an FX reason is translated as
// such; otherwise the catalogue's prefix+field (or prefix+the field's first
// segment, for "fixed.KZT") describes what the field needs. A field the
// catalogue does not know keeps the service's text, which is better than
// losing it. rename maps a service's field name onto the form's.
func (p *Pages) formFail(v *View, err error, prefix string, rename map[string]string) int {
	status := p.formError(v, err) // the summary line; the fields are refined below
	if len(v.Fields) > 0 {
		fields := make(map[string]string, len(v.Fields))
		for k, msg := range v.Fields {
			name := k
			if r, ok := rename[k]; ok {
				name = r
			}
			first, _, _ := strings.Cut(name, ".")
			switch {
			case p.has("fx.reason." + msg):
				msg = v.T("fx.reason." + msg)
			// A ledger code on quote_id is a provider's problem (say, its
			// inventory is short), not the payer's: the field's own text
			// says what to do.
			case name != "quote_id" && p.has("ledger.result."+msg):
				msg = v.T("ledger.result." + msg)
			case p.has(prefix + name):
				msg = v.T(prefix + name)
			case p.has(prefix + first):
				msg = v.T(prefix + first)
			default: // formError has already worded it (Pages.fieldText)
				msg, _ = p.fieldMessage(v, msg)
			}
			if _, dup := fields[name]; !dup {
				fields[name] = msg
			}
		}
		v.Fields = fields
	}
	return status
}

// fieldFail reports one UI-side field error with a catalogue message.
func fieldFail(v *View, field, key string) {
	if v.Fields == nil {
		v.Fields = map[string]string{}
	}
	v.Fields[field] = v.T(key)
	v.Error = v.T("form.invalid")
}

// chartTime labels chart dates with digits only, which every language reads
// the same way and which needs no month names.
func chartTime(t time.Time, unit chart.TimeUnit) string {
	t = t.UTC()
	switch unit {
	case chart.Second:
		return t.Format("15:04:05")
	case chart.Minute, chart.Hour:
		return t.Format("15:04")
	case chart.Day:
		return t.Format("01-02")
	case chart.Month:
		return t.Format("2006-01")
	case chart.Year:
		return t.Format("2006")
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04")
}

// parseWhen reads a datetime-local input (UTC, as the form says) or an RFC
// 3339 time.
func parseWhen(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, true
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	return time.Time{}, false
}

// orgNames caches organisation names for one page; an id that is not an
// organisation shows shortened.
func (p *Pages) orgNames(r *http.Request) *identity.OrgNames {
	return p.Identity.OrgNames(r.Context(), shortID)
}

// ---------------------------------------------------------------------------
// Accounts.

// maxAccounts bounds how many of an org's accounts one page lists.
const maxAccounts = 2000

// accountRow is an account as the pages show it, already formatted.
type accountRow struct {
	ID, Currency, Code, Name, Kind                   string
	Balance, Available, PendingOut, PendingIn        string
	BalanceMinor                                     int64
	Negative, Closed, NoOverdraft, HasPending, Holds bool
}

// kindText names an account kind in the reader's terms: the accounting
// kind for those who keep books (banks, the settlement centre, the platform
// administrator), and what the account is to its holder for everyone else
// ("Current account", not "Liability": the town's liability is the
// trader's money).
func kindText(v *View, k ledger.Kind) string {
	if pr := v.Principal; pr != nil && (pr.OrgKind == identity.KindBank || pr.Has(identity.PlatformAdmin)) {
		return v.T("ledger.kind." + string(k))
	}
	return v.T("names.kind_user." + string(k))
}

func (p *Pages) accountRow(v *View, a *ledger.Account) accountRow {
	out, in := a.DebitsPending, a.CreditsPending
	if a.Kind.DebitNormal() {
		out, in = a.CreditsPending, a.DebitsPending
	}
	lang := v.Lang
	return accountRow{ID: a.ID.String(), Currency: a.Currency, Code: a.Code, Name: a.Name, Kind: kindText(v, a.Kind),
		Balance: p.amount(lang, a.Currency, a.Balance()), Available: p.amount(lang, a.Currency, a.Available()),
		PendingOut: p.amount(lang, a.Currency, out), PendingIn: p.amount(lang, a.Currency, in), BalanceMinor: a.Balance(),
		Negative: a.Balance() < 0, Closed: a.Closed, HasPending: out != 0 || in != 0, Holds: out != 0,
		NoOverdraft: a.Flags&(ledger.DebitsMustNotExceedCredits|ledger.CreditsMustNotExceedDebits) != 0}
}

// listAccounts reads up to maxAccounts of an org's accounts.
func (p *Pages) listAccounts(r *http.Request, pr *identity.Principal, orgID string) ([]ledger.Account, error) {
	var all []ledger.Account
	var after int64
	for len(all) < maxAccounts {
		page, err := p.Ledger.Accounts(r.Context(), pr, orgID, after, 500)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].Row
	}
	return all, nil
}

type kindOption struct{ Value, Text string }

// accountForm is what the open-account form held, to show it again after
// a refusal.
type accountForm struct {
	Currency, Kind, Code, Name string
	NoOverdraft                bool
}

type currencyTotal struct {
	Currency, Balance, Available string
	Accounts                     int
	Chart                        template.HTML
}

// Accounts lists the organisation's ledger accounts with totals and a chart
// per currency, and the form to open another.
func (p *Pages) Accounts(w http.ResponseWriter, r *http.Request) {
	p.renderAccounts(w, r, http.StatusOK, nil, accountForm{Kind: string(ledger.Liability), Currency: "KZT", NoOverdraft: true})
}

// accountsPage is how many accounts one page of the searchable list shows.
const accountsPage = 50

// counterpartyForm is what the save-counterparty form held.
type counterpartyForm struct {
	Label, Currency, AccountID string
	Err                        error
}

type counterpartyRow struct {
	ID, Label, Currency, AccountID, Short string
}

// savedCounterparties reads the org's saved counterparties for a page.
func (p *Pages) savedCounterparties(r *http.Request, currency string) []counterpartyRow {
	cs, err := p.Ledger.Counterparties(r.Context(), identity.FromContext(r.Context()), currency)
	if err != nil {
		return nil
	}
	out := make([]counterpartyRow, len(cs))
	for i, c := range cs {
		out[i] = counterpartyRow{ID: c.ID, Label: c.Label, Currency: c.Currency, AccountID: c.Account.String(), Short: shortID(c.Account.String())}
	}
	return out
}

// accountSearch is the list's query as the page reads and links it.
type accountSearch struct {
	Q, Currency, Kind string
	After             int64
}

func (a accountSearch) query(after int64) string {
	v := url.Values{}
	for k, x := range map[string]string{"q": a.Q, "currency": a.Currency, "kind": a.Kind} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if after > 0 {
		v.Set("after", strconv.FormatInt(after, 10))
	}
	return v.Encode()
}

// SaveCounterparty saves an account the org pays under a label.
func (p *Pages) SaveCounterparty(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	cf := counterpartyForm{Label: strings.TrimSpace(r.PostFormValue("label")), Currency: r.PostFormValue("currency"),
		AccountID: strings.TrimSpace(r.PostFormValue("account_id"))}
	_, err := p.Ledger.SaveCounterparty(r.Context(), identity.FromContext(r.Context()),
		ledger.NewCounterparty{AccountID: cf.AccountID, Currency: cf.Currency, Label: cf.Label})
	if err != nil {
		cf.Err = err
		p.renderAccountsWith(w, r, 0, nil, accountForm{Kind: string(ledger.Liability), Currency: "KZT", NoOverdraft: true}, cf)
		return
	}
	http.Redirect(w, r, "/accounts?saved=1#counterparties-h", http.StatusSeeOther)
}

// DeleteCounterparty forgets a saved counterparty.
func (p *Pages) DeleteCounterparty(w http.ResponseWriter, r *http.Request) {
	if err := p.Ledger.DeleteCounterparty(r.Context(), identity.FromContext(r.Context()), r.PathValue("id")); err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	http.Redirect(w, r, "/accounts?deleted=1#counterparties-h", http.StatusSeeOther)
}

func (p *Pages) renderAccounts(w http.ResponseWriter, r *http.Request, status int, formErr error, form accountForm) {
	p.renderAccountsWith(w, r, status, formErr, form, counterpartyForm{Currency: "KZT"})
}

func (p *Pages) renderAccountsWith(w http.ResponseWriter, r *http.Request, status int, formErr error, form accountForm, cf counterpartyForm) {
	pr := identity.FromContext(r.Context())
	orgID := ""
	if pr.Has(identity.PlatformAdmin) {
		orgID = r.URL.Query().Get("org")
	}
	accts, err := p.listAccounts(r, pr, orgID)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	v := p.view(w, r, "accounts.title", nil)
	if formErr != nil {
		status = p.formFail(v, formErr, "accounts.field.", map[string]string{
			"debits_must_not_exceed_credits": "no_overdraft", "credits_must_not_exceed_debits": "no_overdraft", "org_id": "currency"})
	}
	if cf.Err != nil {
		// The form's fields are prefixed so they cannot be confused with
		// the open-account form's currency.
		status = p.formFail(v, cf.Err, "names.cp.field.", map[string]string{"account_id": "cp_account_id", "label": "cp_label", "currency": "cp_currency"})
		if problem.CodeOf(cf.Err) == problem.NotFound {
			v.Error = v.T("names.cp.cannot_receive", strings.ToUpper(cf.Currency))
			v.Fields = map[string]string{"cp_account_id": v.Error}
		}
	}
	switch {
	case r.URL.Query().Get("saved") != "":
		v.Flash = v.T("names.cp.saved")
	case r.URL.Query().Get("deleted") != "":
		v.Flash = v.T("names.cp.deleted")
	}
	q := r.URL.Query()
	search := accountSearch{Q: strings.TrimSpace(q.Get("q")), Currency: q.Get("currency"), Kind: q.Get("kind")}
	search.After, _ = strconv.ParseInt(q.Get("after"), 10, 64)
	list, err := p.Ledger.SearchAccounts(r.Context(), pr, ledger.AccountQuery{OrgID: orgID, Search: search.Q, Currency: search.Currency,
		Kind: ledger.Kind(search.Kind), AfterRow: search.After, Limit: accountsPage + 1})
	if err != nil {
		if problem.CodeOf(err) != problem.Invalid {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		status = p.formFail(v, err, "names.search.field.", nil)
		list = nil
	}
	nextAfter := int64(0)
	if len(list) > accountsPage {
		list = list[:accountsPage]
		nextAfter = list[accountsPage-1].Row
	}
	listRows := make([]accountRow, len(list))
	for i := range list {
		listRows[i] = p.accountRow(v, &list[i])
	}
	owner := pr.OrgID
	if orgID != "" {
		owner = orgID
	}
	names := p.orgNames(r)
	rows := make([]accountRow, len(accts))
	byCcy := map[string][]int{}
	var ccys []string
	for i := range accts {
		rows[i] = p.accountRow(v, &accts[i])
		c := accts[i].Currency
		if _, ok := byCcy[c]; !ok {
			ccys = append(ccys, c)
		}
		byCcy[c] = append(byCcy[c], i)
	}
	slices.Sort(ccys)
	slices.SortStableFunc(rows, func(a, b accountRow) int {
		if c := strings.Compare(a.Currency, b.Currency); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	var totals []currencyTotal
	for _, c := range ccys {
		var bal, avail []int64
		var cats []string
		for _, i := range byCcy[c] {
			bal = append(bal, accts[i].Balance())
			avail = append(avail, accts[i].Available())
			label := accts[i].Code
			if accts[i].Name != "" {
				label += " · " + accts[i].Name
			}
			cats = append(cats, label)
		}
		t := currencyTotal{Currency: c, Accounts: len(bal), Balance: "—", Available: "—"}
		if s, ok := money.Sum(bal...); ok {
			t.Balance = p.amount(v.Lang, c, s)
		}
		if s, ok := money.Sum(avail...); ok {
			t.Available = p.amount(v.Lang, c, s)
		}
		exp := p.exponent(c)
		if len(cats) < 2 {
			// One bar compares nothing: the total beside it says it all.
			totals = append(totals, t)
			continue
		}
		t.Chart = chart.Bar{
			Options: chart.Options{Width: 420, Height: 220, Title: v.T("accounts.chart_title", c), HideTitle: true,
				Desc: v.T("accounts.chart_desc", c), NoData: v.T("chart.no_data"), ID: "bal-" + c,
				Table: &chart.TableText{Key: v.T("accounts.account")}},
			Categories:  cats,
			Series:      []chart.BarSeries{{Name: v.T("accounts.balance") + " (" + c + ")", Values: bal}},
			ShowValues:  true,
			FormatValue: func(x int64) string { return amountText(v.Lang, x, exp) },
		}.HTML()
		totals = append(totals, t)
	}
	kinds := make([]kindOption, len(ledger.Kinds))
	for i, k := range ledger.Kinds {
		kinds[i] = kindOption{string(k), kindText(v, k)}
	}
	searching := search.Q != "" || search.Currency != "" || search.Kind != ""
	next := ""
	if nextAfter > 0 {
		next = search.query(nextAfter)
	}
	first := ""
	if search.After > 0 {
		first = search.query(0)
	}
	if orgID != "" {
		if next != "" {
			next += "&org=" + url.QueryEscape(orgID)
		}
		first += "&org=" + url.QueryEscape(orgID)
	}
	v.Data = map[string]any{"Rows": listRows, "AllCount": len(rows), "Totals": totals, "Currencies": p.townCurrencies(), "Kinds": kinds, "Form": form,
		"Org": orgID, "OrgName": names.Name(owner), "Truncated": len(accts) >= maxAccounts,
		"Search": search, "Searching": searching, "Next": next, "First": first, "Paged": search.After > 0,
		"Counterparties": p.savedCounterparties(r, ""), "CPForm": cf, "OwnOrg": orgID == "" || orgID == pr.OrgID}
	p.render(w, r, status, "accounts", v)
}

// CreateAccount opens an account from the accounts page.
func (p *Pages) CreateAccount(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	form := accountForm{Currency: strings.TrimSpace(r.PostFormValue("currency")), Kind: r.PostFormValue("kind"),
		Code: strings.TrimSpace(r.PostFormValue("code")), Name: strings.TrimSpace(r.PostFormValue("name")),
		NoOverdraft: r.PostFormValue("no_overdraft") != ""}
	in := ledger.NewAccount{Currency: form.Currency, Kind: ledger.Kind(form.Kind), Code: form.Code, Name: form.Name,
		OrgID: r.URL.Query().Get("org")} // the platform administrator may open one for another org
	// "Cannot go below zero" in the account's natural sign is one flag or
	// the other depending on which side is normal for the kind.
	if form.NoOverdraft {
		if in.Kind.DebitNormal() {
			in.CreditsMustNotExceedDebits = true
		} else {
			in.DebitsMustNotExceedCredits = true
		}
	}
	a, err := p.Ledger.CreateAccount(r.Context(), pr, in)
	if err != nil {
		p.renderAccounts(w, r, 0, err, form)
		return
	}
	p.redirectDone(w, r, "/accounts/"+a.ID.String(), "done.account_opened")
}

// statusOfErr is the HTTP status for a failed read.
func statusOfErr(err error) int { return problem.CodeOf(err).HTTPStatus() }

// ---------------------------------------------------------------------------
// One account.

// statementPage is how many transfers one statement page lists; chartDepth
// how many of the newest the balance chart plots.
const (
	statementPage = 50
	chartDepth    = 200
)

type flagView struct{ Text, Class string }

type statementRow struct {
	Seq                          int64
	At                           time.Time
	Counterparty, CounterpartyID string
	CounterpartyOwn              bool
	Reference, Code              string
	Debit, Credit, Balance       string
	Pending                      bool
	Flags                        []flagView
}

// transferForm is what the transfer form held.
type transferForm struct {
	ID, To, Amount, Reference string
}

// resultView is a ledger result code in the page's language; Text is empty
// for codes the catalogue does not translate, which the page then shows raw.
type resultView struct {
	Code, Text string
	OK         bool
}

// translatedResults are the result codes a person sending from the page can
// meet; the others come from API-only features and are shown as codes.
var translatedResults = []ledger.Code{ledger.OK, ledger.Exists, ledger.ExceedsCredits, ledger.ExceedsDebits, ledger.NotAuthorised,
	ledger.CreditAccountNotFound, ledger.DebitAccountNotFound, ledger.CurrencyMismatch, ledger.CreditAccountClosed,
	ledger.DebitAccountClosed, ledger.AccountsMustBeDifferent, ledger.OverflowsCredits, ledger.OverflowsDebits,
	ledger.ExistsWithDifferentAmount, ledger.ExistsWithDifferentCreditAccount, ledger.ExistsWithDifferentReference}

func (p *Pages) result(v *View, c ledger.Code) *resultView {
	rv := &resultView{Code: string(c), OK: c.Created()}
	if key := "ledger.result." + string(c); p.has(key) {
		rv.Text = v.T(key)
	}
	return rv
}

func transferFlags(v *View, f ledger.TransferFlags) []flagView {
	var out []flagView
	if f&(ledger.Pending|ledger.VoidPending|ledger.Expired) == 0 {
		out = append(out, flagView{v.T("ledger.flag.booked"), "green"})
	}
	for _, x := range []struct {
		f          ledger.TransferFlags
		key, class string
	}{{ledger.Pending, "pending", "yellow"}, {ledger.PostPending, "posted", "green"}, {ledger.VoidPending, "voided", ""},
		{ledger.Expired, "expired", "red"}, {ledger.Linked, "linked", "blue"}} {
		if f&x.f != 0 {
			out = append(out, flagView{v.T("ledger.flag." + x.key), x.class})
		}
	}
	return out
}

type accountState struct {
	status  int
	formErr error
	form    transferForm
	result  *resultView
}

// AccountPage shows one account: balances, the running balance chart, the
// statement, the balance at a past moment and the transfer form.
func (p *Pages) AccountPage(w http.ResponseWriter, r *http.Request) {
	st := accountState{status: http.StatusOK}
	q := r.URL.Query()
	// After a transfer the page is reached by redirect; the result shown is
	// read back from the ledger, so a crafted link cannot fake a success.
	if tid := q.Get("transfer"); tid != "" {
		pr := identity.FromContext(r.Context())
		if t, err := p.Ledger.Transfer(r.Context(), pr, tid); err == nil && t.DebitAccount.String() == r.PathValue("id") {
			code := ledger.OK
			if q.Get("result") == string(ledger.Exists) {
				code = ledger.Exists
			}
			st.result = &resultView{Code: string(code), OK: true}
		}
	}
	p.renderAccount(w, r, st)
}

func (p *Pages) renderAccount(w http.ResponseWriter, r *http.Request, st accountState) {
	pr := identity.FromContext(r.Context())
	ctx := r.Context()
	id := r.PathValue("id")
	q := r.URL.Query()
	from, _ := strconv.ParseInt(q.Get("from"), 10, 64)
	if from < 0 {
		from = 0
	}
	// "Up to a date": the statement starts at the last transfer before the
	// end of that day (a time means that moment).
	var until time.Time
	untilIn := strings.TrimSpace(q.Get("until"))
	badUntil := false
	if untilIn != "" && from == 0 {
		if t, ok := parseWhen(untilIn); ok {
			until = t
			if len(untilIn) == len("2006-01-02") {
				until = t.AddDate(0, 0, 1)
			}
		} else {
			badUntil = true
		}
	}
	a, hist, parties, err := p.Ledger.Statement(ctx, pr, id, from, until, statementPage+1)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	v := p.view(w, r, "account.title", nil)
	status := st.status
	if st.formErr != nil {
		status = p.formFail(v, st.formErr, "account.field.", map[string]string{
			"transfers[0].credit_account_id": "to_account", "transfers[0].amount": "amount", "transfers[0].reference": "reference",
			"transfers[0].currency": "amount"})
	}
	if st.result != nil && st.result.Text == "" {
		st.result = p.result(v, ledger.Code(st.result.Code))
	}
	if badUntil {
		fieldFail(v, "until", "names.audit.field.date")
		if status < 400 {
			status = http.StatusBadRequest
		}
	}

	// Own accounts: linked on the statement and offered as destinations.
	own := map[string]bool{}
	var dest []accountRow
	if accts, err := p.listAccounts(r, pr, a.OrgID); err == nil {
		for i := range accts {
			own[accts[i].ID.String()] = true
			if accts[i].Currency == a.Currency && accts[i].ID != a.ID && !accts[i].Closed {
				dest = append(dest, p.accountRow(v, &accts[i]))
			}
		}
	}

	names := p.orgNames(r)
	next := int64(0)
	if len(hist) > statementPage {
		next = hist[statementPage].Seq
		hist = hist[:statementPage]
	}
	rows := make([]statementRow, len(hist))
	for i := range hist {
		t := &hist[i]
		debit := t.DebitAccount == a.ID
		other, bal := t.DebitAccount, t.CreditBalanceAfter
		if debit {
			other, bal = t.CreditAccount, t.DebitBalanceAfter
		}
		row := statementRow{Seq: t.Seq, At: t.Timestamp, Counterparty: p.partyName(v, names, parties[other], other), CounterpartyID: other.String(),
			CounterpartyOwn: own[other.String()], Reference: t.Reference, Code: t.Code,
			Balance: p.amount(v.Lang, a.Currency, a.Kind.Natural(bal)), Pending: t.Flags&ledger.Pending != 0, Flags: transferFlags(v, t.Flags)}
		amt := p.amount(v.Lang, a.Currency, t.Amount)
		if debit {
			row.Debit = amt
		} else {
			row.Credit = amt
		}
		rows[i] = row
	}

	// The running balance: the newest chartDepth transfers, whatever page
	// of the statement is shown.
	chartHist := hist
	if from != 0 || next != 0 || !until.IsZero() {
		if _, h, err := p.Ledger.History(ctx, pr, id, 0, chartDepth); err == nil {
			chartHist = h
		}
	}
	pts := make([]chart.Point, 0, len(chartHist))
	for i := len(chartHist) - 1; i >= 0; i-- {
		t := &chartHist[i]
		bal := t.CreditBalanceAfter
		if t.DebitAccount == a.ID {
			bal = t.DebitBalanceAfter
		}
		pts = append(pts, chart.Point{At: t.Timestamp, Value: a.Kind.Natural(bal)})
	}
	exp := p.exponent(a.Currency)
	// Two renderings of one chart: the library draws at a fixed size and
	// text scales with the picture, so phones get a narrow one (the style
	// sheet shows one or the other). Only the wide one carries the data
	// table, which stays readable to screen readers at any width.
	line := chart.Line{
		Options: chart.Options{Width: 960, Height: 300, Title: v.T("account.chart_title", a.Currency), HideTitle: true,
			Desc: v.TN("account.chart_desc", len(pts)), NoData: v.T("account.no_history"), ID: "running-balance", Class: "chart-wide",
			Table: &chart.TableText{Key: v.T("account.date")}},
		Series:      []chart.Series{{Name: v.T("accounts.balance") + " (" + a.Currency + ")", Points: pts}},
		FormatValue: func(x int64) string { return amountText(v.Lang, x, exp) },
		FormatTime:  chartTime,
		Location:    time.UTC,
		Step:        true,
		Area:        true,
	}
	wide := line.HTML()
	line.Options.Width, line.Options.Height, line.Options.ID, line.Options.Class, line.Options.Table = 360, 240, "running-balance-narrow", "chart-narrow", nil
	lineChart := wide + line.HTML()

	// Balance as of a moment.
	var asOf map[string]any
	if at := strings.TrimSpace(q.Get("at")); at != "" {
		asOf = map[string]any{"Input": at}
		if t, ok := parseWhen(at); !ok {
			fieldFail(v, "at", "account.field.at")
			if status < 400 {
				status = http.StatusBadRequest
			}
		} else if _, b, err := p.Ledger.BalanceAt(ctx, pr, id, t); err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		} else {
			asOf["At"] = t
			asOf["Balance"] = p.amount(v.Lang, a.Currency, b)
		}
	}

	form := st.form
	if form.ID == "" {
		form.ID = uuid.Must(uuid.NewV7()).String()
	}
	saved := p.savedCounterparties(r, a.Currency)
	toOther := form.To
	for _, d := range dest {
		if d.ID == form.To {
			toOther = ""
		}
	}
	for _, c := range saved {
		if c.AccountID == form.To {
			toOther = ""
		}
	}
	v.Data = map[string]any{"Account": p.accountRow(v, &a), "Created": a.CreatedAt, "OrgName": names.Name(a.OrgID),
		"Own": a.OrgID == pr.OrgID, "Chart": lineChart, "Rows": rows, "Next": next, "From": from, "AsOf": asOf, "Until": untilIn,
		"Jumped": from != 0 || !until.IsZero(), "AuditLink": p.CanVisit != nil && p.CanVisit(pr, "/audit"),
		"Form": form, "Result": st.result, "Dest": dest, "Saved": saved, "ToOther": toOther, "Exp": exp}
	p.render(w, r, status, "account", v)
}

// partyName is the other side of a statement line as the reader may know
// it: an own account by its code and name, another organisation's as
// "<Org> account" (its public name; the account's own code, name and
// balance stay that organisation's), an account the ledger no longer
// knows by the tail of its id.
func (p *Pages) partyName(v *View, names *identity.OrgNames, pt ledger.Party, id ledger.ID) string {
	switch {
	case pt.Own && pt.Name != "":
		return pt.Code + " · " + pt.Name
	case pt.Own:
		return pt.Code
	case pt.OrgID != "":
		if n := names.Name(pt.OrgID); n != "" && n != shortID(pt.OrgID) {
			return v.T("names.org_account", n)
		}
	}
	return shortID(id.String())
}

// AccountTransfer sends money from the account to another account in the
// same currency.
func (p *Pages) AccountTransfer(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	a, err := p.Ledger.Account(ctx, pr, r.PathValue("id"))
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	lang := p.view(w, r, "account.title", nil).Lang
	// The picker names an own account or a saved counterparty; "" is
	// "another account", typed into the id field.
	to := strings.TrimSpace(r.PostFormValue("to_pick"))
	if to == "" {
		to = strings.TrimSpace(r.PostFormValue("to_account"))
	}
	form := transferForm{ID: strings.TrimSpace(r.PostFormValue("id")), To: to,
		Amount: strings.TrimSpace(r.PostFormValue("amount")), Reference: strings.TrimSpace(r.PostFormValue("reference"))}
	// The id is the idempotency key the page generated: sending the form
	// twice creates one transfer. A missing or mangled one is replaced.
	if u, err := uuid.Parse(form.ID); err != nil || u == ledger.Zero {
		form.ID = uuid.Must(uuid.NewV7()).String()
	}
	ts, err := p.Ledger.Decode([]ledger.TransferInput{{ID: form.ID, DebitAccountID: a.ID.String(), CreditAccountID: form.To,
		Amount: amountInput(lang, form.Amount), Currency: a.Currency, Reference: form.Reference}})
	if err != nil {
		p.renderAccount(w, r, accountState{formErr: err, form: form})
		return
	}
	res, err := p.Ledger.Submit(ctx, pr, ts)
	if err != nil {
		p.renderAccount(w, r, accountState{formErr: err, form: form})
		return
	}
	code := res[0].Code
	if code.Created() {
		http.Redirect(w, r, "/accounts/"+a.ID.String()+"?"+url.Values{"transfer": {form.ID}, "result": {string(code)}}.Encode(), http.StatusSeeOther)
		return
	}
	status := http.StatusUnprocessableEntity
	if code == ledger.NotAuthorised {
		status = http.StatusForbidden
	}
	p.renderAccount(w, r, accountState{status: status, form: form, result: &resultView{Code: string(code)}})
}

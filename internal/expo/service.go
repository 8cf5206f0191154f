package expo

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/market"
	"bricstown/internal/matchmaking"
	"bricstown/internal/money"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// Catalogue is what the expo needs of the marketplace: one product as the
// caller may see it (market.Service.Product).
type Catalogue interface {
	Product(ctx context.Context, p *identity.Principal, id, currency string) (market.Offer, string, error)
}

// Config wires the service to the rest of the platform.
type Config struct {
	Log       *slog.Logger
	Ledger    *ledger.Service
	Catalogue Catalogue
	Now       func() time.Time
}

// Service applies the expo rules: an event organiser's organisers run their
// expos (halls, booths, decisions, allocation, the scheduler); companies'
// traders and administrators apply, pay their own booth fee from their own
// account, show their own products, register as buyers and ask for
// meetings; each organisation sees only its own applications, requests and
// agenda (the organiser sees its expo's).
type Service struct {
	store Store
	cfg   Config
}

// NewService returns a service on store.
func NewService(store Store, cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{store: store, cfg: cfg}
}

// CodeFee is the ledger code of booth fees.
const CodeFee = "expo_fee"

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

func notFound() error { return problem.New(problem.NotFound, "no such expo, application or request") }

// IsOrganiser: the organisers of the organisation that runs the expo.
func IsOrganiser(p *identity.Principal, e *Expo) bool {
	return p != nil && p.OrgID == e.OrganiserOrg && p.Has(identity.Organiser)
}

// IsCompany: a company's traders and administrators exhibit and buy.
func IsCompany(p *identity.Principal) bool { return market.CanSell(p) }

func (s *Service) record(p *identity.Principal, action, subject, id, org, detail string) audit.Record {
	u, o := p.Actor()
	return audit.Record{ActorUser: u, ActorOrg: o, Action: action, SubjectType: subject, SubjectID: id, OrgID: org, Detail: detail}
}

// ExpoInput is what an organiser fills in.
type ExpoInput struct {
	Name        string `json:"name"`
	Venue       string `json:"venue"`
	StartsOn    string `json:"starts_on"`
	EndsOn      string `json:"ends_on"`
	TimeZone    string `json:"time_zone"`
	MeetingFrom string `json:"meeting_from"`
	MeetingTo   string `json:"meeting_to"`
	SlotMinutes int    `json:"slot_minutes"`
	Tables      int    `json:"tables"`
	AccountID   string `json:"account_id"`
}

// ownAccount checks a KZT account of org money may be paid into or (payer)
// out of; another organisation's account answers like an unknown one.
func (s *Service) ownAccount(ctx context.Context, org, id, field string, payer bool, f problem.Fields) ledger.Account {
	u, err := uuid.Parse(strings.TrimSpace(id))
	if err != nil || s.cfg.Ledger == nil {
		f.Add(field, "must be the id of one of your KZT accounts")
		return ledger.Account{}
	}
	a, err := s.cfg.Ledger.AccountByID(ctx, u)
	switch {
	case err != nil || a.OrgID != org || a.Flags&ledger.System != 0:
		f.Add(field, "must be the id of one of your KZT accounts")
	case a.Currency != "KZT":
		f.Add(field, "must be a KZT account")
	case a.Closed:
		f.Add(field, "the account is closed")
	case payer && (a.Flags&ledger.DebitsMustNotExceedCredits == 0 || a.Kind.DebitNormal()):
		f.Add(field, "must be a funds account that cannot go below zero")
	}
	return a
}

// CreateExpo makes an expo of the caller's organisation.
func (s *Service) CreateExpo(ctx context.Context, p *identity.Principal, in ExpoInput) (Expo, error) {
	if p == nil || !p.Has(identity.Organiser) {
		return Expo{}, problem.New(problem.Forbidden, "only an event organiser's organisers create expos")
	}
	e := Expo{ID: uuid.Must(uuid.NewV7()).String(), OrganiserOrg: p.OrgID, Name: in.Name, Venue: in.Venue, StartsOn: strings.TrimSpace(in.StartsOn),
		EndsOn: strings.TrimSpace(in.EndsOn), TimeZone: strings.TrimSpace(in.TimeZone), MeetingFrom: strings.TrimSpace(in.MeetingFrom),
		MeetingTo: strings.TrimSpace(in.MeetingTo), SlotMinutes: in.SlotMinutes, Tables: in.Tables, Account: strings.TrimSpace(in.AccountID), CreatedAt: s.now()}
	f := problem.Fields{}
	e.Check(f)
	s.ownAccount(ctx, p.OrgID, e.Account, "account_id", false, f)
	if err := f.Err("the expo is not valid"); err != nil {
		return Expo{}, err
	}
	if err := s.store.CreateExpo(ctx, e, s.record(p, "expo.create", "expo", e.ID, e.OrganiserOrg, e.Name)); err != nil {
		return Expo{}, err
	}
	return e, nil
}

// canSee: an expo is public to the town's organisations (their traders,
// administrators and organisers).
func canSee(p *identity.Principal) bool {
	return p != nil && p.HasAny(identity.Trader, identity.OrgAdmin, identity.Organiser, identity.PlatformAdmin)
}

func (s *Service) load(ctx context.Context, p *identity.Principal, id string) (Expo, error) {
	if _, err := uuid.Parse(id); err != nil || !canSee(p) {
		return Expo{}, notFound()
	}
	e, err := s.store.GetExpo(ctx, id)
	if problem.Is(err, problem.NotFound) {
		return Expo{}, notFound()
	}
	return e, err
}

func (s *Service) organised(ctx context.Context, p *identity.Principal, id string) (Expo, error) {
	e, err := s.load(ctx, p, id)
	if err != nil {
		return Expo{}, err
	}
	if !IsOrganiser(p, &e) {
		return Expo{}, problem.New(problem.Forbidden, "only the expo's organisers do this")
	}
	return e, nil
}

// Expos lists the expos, soonest first.
func (s *Service) Expos(ctx context.Context, p *identity.Principal) ([]Expo, error) {
	if !canSee(p) {
		return nil, problem.New(problem.Forbidden, "sign in as an organisation")
	}
	return s.store.ListExpos(ctx, 500)
}

// Detail is an expo with its halls and booths.
type Detail struct {
	Expo
	Halls  []Hall  `json:"halls"`
	Booths []Booth `json:"booths"`
	Slots  int     `json:"meeting_slots"`
}

// Get shows an expo with its halls and booth map.
func (s *Service) Get(ctx context.Context, p *identity.Principal, id string) (Detail, error) {
	e, err := s.load(ctx, p, id)
	if err != nil {
		return Detail{}, err
	}
	d := Detail{Expo: e, Slots: len(e.Slots())}
	if d.Halls, err = s.store.ListExpoHalls(ctx, e.ID); err != nil {
		return Detail{}, err
	}
	d.Booths, err = s.store.ListExpoBooths(ctx, e.ID)
	return d, err
}

// HallInput is a new hall.
type HallInput struct {
	Name string `json:"name"`
	Rows int    `json:"rows"`
	Cols int    `json:"cols"`
}

// AddHall adds a hall to an expo the caller organises.
func (s *Service) AddHall(ctx context.Context, p *identity.Principal, expoID string, in HallInput) (Hall, error) {
	e, err := s.organised(ctx, p, expoID)
	if err != nil {
		return Hall{}, err
	}
	h := Hall{ID: uuid.Must(uuid.NewV7()).String(), ExpoID: e.ID, Name: in.Name, Rows: in.Rows, Cols: in.Cols}
	f := problem.Fields{}
	h.Check(f)
	if err := f.Err("the hall is not valid"); err != nil {
		return Hall{}, err
	}
	if err := s.store.CreateExpoHall(ctx, h, s.now(), s.record(p, "expo.hall.create", "expo_hall", h.ID, e.OrganiserOrg, h.Name)); err != nil {
		return Hall{}, err
	}
	return h, nil
}

// BoothInput is a new booth.
type BoothInput struct {
	HallID   string `json:"hall_id"`
	Code     string `json:"code"`
	SizeM2   int    `json:"size_m2"`
	PriceKZT int64  `json:"price_kzt"`
	Row      int    `json:"row"`
	Col      int    `json:"col"`
}

// AddBooth adds a booth to a hall of an expo the caller organises.
func (s *Service) AddBooth(ctx context.Context, p *identity.Principal, expoID string, in BoothInput) (Booth, error) {
	e, err := s.organised(ctx, p, expoID)
	if err != nil {
		return Booth{}, err
	}
	halls, err := s.store.ListExpoHalls(ctx, e.ID)
	if err != nil {
		return Booth{}, err
	}
	f := problem.Fields{}
	var hall *Hall
	for i := range halls {
		if halls[i].ID == strings.TrimSpace(in.HallID) {
			hall = &halls[i]
		}
	}
	if hall == nil {
		f.Add("hall_id", "required")
	}
	b := Booth{ID: uuid.Must(uuid.NewV7()).String(), ExpoID: e.ID, Code: in.Code, SizeM2: in.SizeM2, PriceKZT: in.PriceKZT, Row: in.Row, Col: in.Col, Status: BoothFree}
	if hall != nil {
		b.HallID = hall.ID
	}
	b.Check(hall, f)
	if err := f.Err("the booth is not valid"); err != nil {
		return Booth{}, err
	}
	if err := s.store.CreateExpoBooth(ctx, b, s.now(), s.record(p, "expo.booth.create", "expo_booth", b.ID, e.OrganiserOrg,
		b.Code+" "+money.FormatAmount(b.PriceKZT, 2)+" KZT")); err != nil {
		return Booth{}, err
	}
	return b, nil
}

// ApplyInput is a company's application.
type ApplyInput struct {
	SizeM2 int    `json:"size_m2"`
	Note   string `json:"note"`
}

// Apply files the caller's company's application to exhibit.
func (s *Service) Apply(ctx context.Context, p *identity.Principal, expoID string, in ApplyInput) (Application, error) {
	e, err := s.load(ctx, p, expoID)
	if err != nil {
		return Application{}, err
	}
	if !IsCompany(p) {
		return Application{}, problem.New(problem.Forbidden, "only a company's traders and administrators apply to exhibit")
	}
	f := problem.Fields{}
	if in.SizeM2 < 0 || in.SizeM2 > MaxBoothM2 {
		f.Addf("size_m2", "must be a whole number from %d to %d", 0, MaxBoothM2)
	}
	in.Note = strings.TrimSpace(in.Note)
	if len([]rune(in.Note)) > MaxNoteChars {
		f.Addf("note", "at most %d characters", MaxNoteChars)
	}
	if err := f.Err("the application is not valid"); err != nil {
		return Application{}, err
	}
	now := s.now()
	a := Application{ID: uuid.Must(uuid.NewV7()).String(), ExpoID: e.ID, Org: p.OrgID, SizeM2: in.SizeM2, Note: in.Note, Status: Pending, CreatedAt: now, UpdatedAt: now}
	if err := s.store.ApplyExpo(ctx, a, s.record(p, "expo.apply", "expo_application", a.ID, e.OrganiserOrg, e.Name)); err != nil {
		return Application{}, err
	}
	return a, nil
}

// Applications lists an expo's applications: all of them for its
// organisers, the caller's own for anyone else.
func (s *Service) Applications(ctx context.Context, p *identity.Principal, expoID string) ([]Application, error) {
	e, err := s.load(ctx, p, expoID)
	if err != nil {
		return nil, err
	}
	if IsOrganiser(p, &e) {
		return s.store.ListExpoApplications(ctx, e.ID, "")
	}
	return s.store.ListExpoApplications(ctx, e.ID, p.OrgID)
}

// application finds an application of the expo the caller may see: its
// own, or any for the expo's organisers; anything else is not_found.
func (s *Service) application(ctx context.Context, p *identity.Principal, expoID, id string) (Expo, Application, error) {
	e, err := s.load(ctx, p, expoID)
	if err != nil {
		return Expo{}, Application{}, err
	}
	if _, err := uuid.Parse(id); err != nil {
		return Expo{}, Application{}, notFound()
	}
	a, err := s.store.GetExpoApplication(ctx, id)
	if problem.Is(err, problem.NotFound) || err == nil && (a.ExpoID != e.ID || a.Org != p.OrgID && !IsOrganiser(p, &e)) {
		return Expo{}, Application{}, notFound()
	}
	return e, a, err
}

// Decide approves or rejects a pending application of an expo the caller
// organises.
func (s *Service) Decide(ctx context.Context, p *identity.Principal, expoID, id string, approve bool) (Application, error) {
	e, a, err := s.application(ctx, p, expoID, id)
	if err != nil {
		return Application{}, err
	}
	if !IsOrganiser(p, &e) {
		return Application{}, problem.New(problem.Forbidden, "only the expo's organisers decide applications")
	}
	to, action := Approved, "expo.approve"
	if !approve {
		to, action = Rejected, "expo.reject"
	}
	return s.store.DecideApplication(ctx, a.ID, to, s.now(), s.record(p, action, "expo_application", a.ID, e.OrganiserOrg, ""))
}

// AllocateInput names the booth to give.
type AllocateInput struct {
	BoothID string `json:"booth_id"`
}

// Allocate gives a free booth of the expo to an approved application; its
// fee is the booth's price. A booth is never given twice (Store.Allocate).
func (s *Service) Allocate(ctx context.Context, p *identity.Principal, expoID, id string, in AllocateInput) (Application, error) {
	e, a, err := s.application(ctx, p, expoID, id)
	if err != nil {
		return Application{}, err
	}
	if !IsOrganiser(p, &e) {
		return Application{}, problem.New(problem.Forbidden, "only the expo's organisers allocate booths")
	}
	b, err := s.store.GetExpoBooth(ctx, strings.TrimSpace(in.BoothID))
	if problem.Is(err, problem.NotFound) || err == nil && b.ExpoID != e.ID {
		return Application{}, &problem.Error{Code: problem.Invalid, Message: "no such booth", Fields: map[string]string{"booth_id": "required"}}
	}
	if err != nil {
		return Application{}, err
	}
	return s.store.AllocateBooth(ctx, e.ID, a.ID, b.ID, s.now(), s.record(p, "expo.allocate", "expo_application", a.ID, e.OrganiserOrg, "booth "+b.Code))
}

// PayInput names the caller's account the fee is paid from.
type PayInput struct {
	PayFrom string `json:"pay_from"`
}

// PayFee pays the caller's company's booth fee from one of its own KZT
// accounts into the organiser's. The transfer id is derived from the
// application (FeeID), so concurrent and repeated payments charge once;
// asked again after it is paid, it answers the paid application.
func (s *Service) PayFee(ctx context.Context, p *identity.Principal, expoID, id string, in PayInput) (Application, error) {
	e, a, err := s.application(ctx, p, expoID, id)
	if err != nil {
		return Application{}, err
	}
	if a.Org != p.OrgID || !IsCompany(p) {
		// The organiser sees the application but pays nobody's fee.
		return Application{}, problem.New(problem.Forbidden, "only the exhibitor pays its booth fee")
	}
	if a.Paid {
		return a, nil
	}
	if a.BoothID == "" {
		return Application{}, &problem.Error{Code: problem.Conflict, Message: "no booth is allocated yet", Fields: map[string]string{"status": string(a.Status)}}
	}
	f := problem.Fields{}
	from := s.ownAccount(ctx, p.OrgID, in.PayFrom, "pay_from", true, f)
	if err := f.Err("the payment is not valid"); err != nil {
		return Application{}, err
	}
	fee, transfer := FeeID(a.ID), ""
	if a.FeeKZT > 0 {
		transfer = fee.String()
		to, err := uuid.Parse(e.Account)
		if err != nil {
			return Application{}, problem.New(problem.Conflict, "the organiser has no account to be paid into")
		}
		res, err := s.cfg.Ledger.SubmitSystem(ctx, []ledger.Transfer{{ID: fee, DebitAccount: from.ID, CreditAccount: to, Amount: a.FeeKZT,
			Currency: "KZT", Code: CodeFee, Reference: a.ID}},
			s.record(p, "expo.fee", "expo_application", a.ID, e.OrganiserOrg, money.FormatAmount(a.FeeKZT, 2)+" KZT"))
		if err != nil {
			return Application{}, err
		}
		switch c := res[0].Code; {
		case c.Created(), c == ledger.Exists:
		case strings.HasPrefix(string(c), "exists_with_different"):
			// Paid already, from another account: the ledger keeps the
			// first payment; record it as paid from there.
			if t, terr := s.cfg.Ledger.Transfer(ctx, p, fee.String()); terr == nil {
				from.ID = t.DebitAccount
			}
		default:
			return Application{}, refusal(c)
		}
	}
	// A free booth is paid with no transfer: nothing moved.
	return s.store.MarkFeePaid(ctx, a.ID, from.ID.String(), transfer, s.now(), s.record(p, "expo.paid", "expo_application", a.ID, e.OrganiserOrg, transfer))
}

func refusal(c ledger.Code) error {
	switch c {
	case ledger.ExceedsCredits:
		return &problem.Error{Code: problem.Conflict, Message: "the account does not hold enough funds", Fields: map[string]string{"pay_from": "not enough funds"}}
	case ledger.DebitAccountClosed, ledger.CreditAccountClosed:
		return &problem.Error{Code: problem.Conflict, Message: "an account of the payment is closed", Fields: map[string]string{"pay_from": "the account is closed"}}
	}
	return &problem.Error{Code: problem.Conflict, Message: "the ledger refused: " + string(c), Fields: map[string]string{"pay_from": string(c)}}
}

// exhibitor reports whether org has an approved application to the expo.
func (s *Service) exhibitor(ctx context.Context, expoID, org string) (bool, error) {
	list, err := s.store.ListExpoApplications(ctx, expoID, org)
	if err != nil {
		return false, err
	}
	for _, a := range list {
		if a.Status == Approved {
			return true, nil
		}
	}
	return false, nil
}

// ShowcaseInput links a product.
type ShowcaseInput struct {
	ProductID string `json:"product_id"`
}

// AddShowcase shows one of the caller's company's catalogue products on
// its stand; the company must be an approved exhibitor.
func (s *Service) AddShowcase(ctx context.Context, p *identity.Principal, expoID string, in ShowcaseInput) (ShowcaseItem, error) {
	e, err := s.load(ctx, p, expoID)
	if err != nil {
		return ShowcaseItem{}, err
	}
	if !IsCompany(p) {
		return ShowcaseItem{}, problem.New(problem.Forbidden, "only exhibitors show products")
	}
	ok, err := s.exhibitor(ctx, e.ID, p.OrgID)
	if err != nil {
		return ShowcaseItem{}, err
	}
	if !ok {
		return ShowcaseItem{}, &problem.Error{Code: problem.Conflict, Message: "your application is not approved", Fields: map[string]string{"status": "not approved"}}
	}
	if s.cfg.Catalogue == nil {
		return ShowcaseItem{}, problem.New(problem.Unavailable, "the catalogue is not available")
	}
	offer, _, err := s.cfg.Catalogue.Product(ctx, p, strings.TrimSpace(in.ProductID), "")
	if problem.Is(err, problem.NotFound) || err == nil && offer.SellerOrg != p.OrgID {
		// Another company's product answers like an unknown one.
		return ShowcaseItem{}, &problem.Error{Code: problem.Invalid, Message: "not one of your products", Fields: map[string]string{"product_id": "required"}}
	}
	if err != nil {
		return ShowcaseItem{}, err
	}
	it := ShowcaseItem{ExpoID: e.ID, Org: p.OrgID, ProductID: offer.ID, Name: productName(offer.Names), HS: offer.HS, Origin: offer.Origin, CreatedAt: s.now()}
	return it, s.store.AddExpoShowcase(ctx, it, s.record(p, "expo.showcase", "expo", e.ID, e.OrganiserOrg, it.HS+" "+it.Origin))
}

// productName picks a product's name to keep with the showcase: English,
// else any (names are keyed by language).
func productName(names map[string]string) string {
	if n := names["en"]; n != "" {
		return n
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) > 0 {
		return names[keys[0]]
	}
	return ""
}

// Showcase lists the products exhibitors show at an expo.
func (s *Service) Showcase(ctx context.Context, p *identity.Principal, expoID string) ([]ShowcaseItem, error) {
	e, err := s.load(ctx, p, expoID)
	if err != nil {
		return nil, err
	}
	return s.store.ListExpoShowcase(ctx, e.ID)
}

// RegisterBuyer registers the caller's company as a buyer of the expo;
// registering again answers the first registration.
func (s *Service) RegisterBuyer(ctx context.Context, p *identity.Principal, expoID string) (Buyer, error) {
	e, err := s.load(ctx, p, expoID)
	if err != nil {
		return Buyer{}, err
	}
	if !IsCompany(p) {
		return Buyer{}, problem.New(problem.Forbidden, "only a company's traders and administrators register as buyers")
	}
	b := Buyer{ExpoID: e.ID, Org: p.OrgID, User: p.UserID, CreatedAt: s.now()}
	b, _, err = s.store.RegisterExpoBuyer(ctx, b, s.record(p, "expo.register", "expo", e.ID, e.OrganiserOrg, ""))
	return b, err
}

// Participants are the organisations that may meet at an expo: approved
// exhibitors and registered buyers, with which they are.
type Participants struct {
	Exhibitors map[string]bool
	Buyers     map[string]bool
}

// Has reports whether org takes part.
func (ps Participants) Has(org string) bool { return ps.Exhibitors[org] || ps.Buyers[org] }

// Participants lists who takes part in an expo (public to the town:
// exhibitors are on the floor plan, buyers are who can be met).
func (s *Service) Participants(ctx context.Context, p *identity.Principal, expoID string) (Participants, error) {
	e, err := s.load(ctx, p, expoID)
	if err != nil {
		return Participants{}, err
	}
	return s.participants(ctx, e.ID)
}

func (s *Service) participants(ctx context.Context, expoID string) (Participants, error) {
	ps := Participants{Exhibitors: map[string]bool{}, Buyers: map[string]bool{}}
	apps, err := s.store.ListExpoApplications(ctx, expoID, "")
	if err != nil {
		return ps, err
	}
	for _, a := range apps {
		if a.Status == Approved {
			ps.Exhibitors[a.Org] = true
		}
	}
	buyers, err := s.store.ListExpoBuyers(ctx, expoID)
	for _, b := range buyers {
		ps.Buyers[b.Org] = true
	}
	return ps, err
}

// RequestInput asks another participant for a meeting.
type RequestInput struct {
	ToOrg   string `json:"to_org"`
	Message string `json:"message"`
}

// RequestMeeting asks, for the caller's organisation (a participant),
// another participant for a meeting.
func (s *Service) RequestMeeting(ctx context.Context, p *identity.Principal, expoID string, in RequestInput) (MeetingRequest, error) {
	e, err := s.load(ctx, p, expoID)
	if err != nil {
		return MeetingRequest{}, err
	}
	if !IsCompany(p) {
		return MeetingRequest{}, problem.New(problem.Forbidden, "only exhibitors and buyers ask for meetings")
	}
	ps, err := s.participants(ctx, e.ID)
	if err != nil {
		return MeetingRequest{}, err
	}
	if !ps.Has(p.OrgID) {
		return MeetingRequest{}, &problem.Error{Code: problem.Conflict, Message: "register as a buyer or exhibit first", Fields: map[string]string{"status": "not registered"}}
	}
	f := problem.Fields{}
	to := strings.TrimSpace(in.ToOrg)
	switch {
	case to == p.OrgID:
		f.Add("to_org", "must be another organisation than the creditor")
	case !ps.Has(to):
		f.Add("to_org", "no such organisation")
	}
	in.Message = strings.TrimSpace(in.Message)
	if len([]rune(in.Message)) > MaxNoteChars {
		f.Addf("message", "at most %d characters", MaxNoteChars)
	}
	if err := f.Err("the request is not valid"); err != nil {
		return MeetingRequest{}, err
	}
	now := s.now()
	m := MeetingRequest{ID: uuid.Must(uuid.NewV7()).String(), ExpoID: e.ID, FromOrg: p.OrgID, ToOrg: to, Message: in.Message, Status: Requested, CreatedAt: now, UpdatedAt: now}
	if err := s.store.RequestMeeting(ctx, m, s.record(p, "expo.meeting.request", "expo_meeting_request", m.ID, e.OrganiserOrg, "")); err != nil {
		return MeetingRequest{}, err
	}
	return m, nil
}

// Requests lists the meeting requests the caller's organisation sent or
// got at an expo.
func (s *Service) Requests(ctx context.Context, p *identity.Principal, expoID string) ([]MeetingRequest, error) {
	e, err := s.load(ctx, p, expoID)
	if err != nil {
		return nil, err
	}
	return s.store.ListMeetingRequests(ctx, e.ID, p.OrgID)
}

// Answer accepts or declines a request addressed to the caller's
// organisation; a request it sent or does not see answers not_found.
func (s *Service) AnswerRequest(ctx context.Context, p *identity.Principal, expoID, id string, accept bool) (MeetingRequest, error) {
	e, err := s.load(ctx, p, expoID)
	if err != nil {
		return MeetingRequest{}, err
	}
	if _, err := uuid.Parse(id); err != nil {
		return MeetingRequest{}, notFound()
	}
	m, err := s.store.GetMeetingRequest(ctx, id)
	if problem.Is(err, problem.NotFound) || err == nil && (m.ExpoID != e.ID || m.FromOrg != p.OrgID && m.ToOrg != p.OrgID) {
		return MeetingRequest{}, notFound()
	}
	if err != nil {
		return MeetingRequest{}, err
	}
	if m.ToOrg != p.OrgID || !IsCompany(p) {
		return MeetingRequest{}, problem.New(problem.Forbidden, "only the organisation asked answers a request")
	}
	to, action := Accepted, "expo.meeting.accept"
	if !accept {
		to, action = Declined, "expo.meeting.decline"
	}
	return s.store.AnswerMeetingRequest(ctx, m.ID, to, s.now(), s.record(p, action, "expo_meeting_request", m.ID, e.OrganiserOrg, ""))
}

// Schedule builds the expo's timetable from its accepted requests with
// matchmaking.Schedule, checks it, compares it with the greedy baseline and
// stores it in place of the previous one.
func (s *Service) Schedule(ctx context.Context, p *identity.Principal, expoID string) (Run, error) {
	e, err := s.organised(ctx, p, expoID)
	if err != nil {
		return Run{}, err
	}
	all, err := s.store.ListMeetingRequests(ctx, e.ID, "")
	if err != nil {
		return Run{}, err
	}
	var reqs []MeetingRequest
	index := map[string]int{}
	var orgs []string
	person := func(org string) int {
		if i, ok := index[org]; ok {
			return i
		}
		index[org] = len(orgs)
		orgs = append(orgs, org)
		return index[org]
	}
	prob := matchmaking.Problem{Tables: e.Tables}
	for _, m := range all {
		if m.Status != Accepted {
			continue
		}
		reqs = append(reqs, m)
		prob.Requests = append(prob.Requests, matchmaking.Request{A: person(m.FromOrg), B: person(m.ToOrg)})
	}
	slots := e.Slots()
	prob.Participants, prob.Slots = len(orgs), len(slots)
	placed := matchmaking.Schedule(prob)
	greedy := matchmaking.Greedy(prob)
	if !matchmaking.Valid(prob, placed) {
		return Run{}, problem.New(problem.Internal, "the scheduler produced an invalid timetable")
	}
	ms := make([]Meeting, 0, len(placed))
	for _, pm := range placed {
		r := reqs[pm.Request]
		ms = append(ms, Meeting{ExpoID: e.ID, RequestID: r.ID, OrgA: r.FromOrg, OrgB: r.ToOrg, Slot: pm.Slot, Table: pm.Table + 1,
			Start: slots[pm.Slot].Start, End: slots[pm.Slot].End})
	}
	run := Run{ExpoID: e.ID, Requests: len(reqs), Placed: len(placed), Greedy: len(greedy), Slots: len(slots), Tables: e.Tables, At: s.now(), By: p.UserID}
	if err := s.store.SaveExpoSchedule(ctx, run, ms, s.record(p, "expo.schedule", "expo", e.ID, e.OrganiserOrg,
		scheduleDetail(run))); err != nil {
		return Run{}, err
	}
	return run, nil
}

func scheduleDetail(r Run) string {
	return fmt.Sprintf("%d of %d placed, greedy %d", r.Placed, r.Requests, r.Greedy)
}

// LastRun is the expo's last scheduler run, for its organisers
// (problem.NotFound when it never ran).
func (s *Service) LastRun(ctx context.Context, p *identity.Principal, expoID string) (Run, error) {
	e, err := s.organised(ctx, p, expoID)
	if err != nil {
		return Run{}, err
	}
	return s.store.ExpoRun(ctx, e.ID)
}

// Agenda is the caller's organisation's meetings at an expo, in time order.
func (s *Service) Agenda(ctx context.Context, p *identity.Principal, expoID string) (Expo, []Meeting, error) {
	e, err := s.load(ctx, p, expoID)
	if err != nil {
		return Expo{}, nil, err
	}
	ms, err := s.store.ListExpoMeetings(ctx, e.ID, p.OrgID)
	return e, ms, err
}

// Calendar is the caller's agenda as an iCalendar (RFC 5545) document;
// name gives an organisation's name.
func (s *Service) Calendar(ctx context.Context, p *identity.Principal, expoID string, name func(org string) string) (string, error) {
	e, ms, err := s.Agenda(ctx, p, expoID)
	if err != nil {
		return "", err
	}
	return ICalendar(e, ms, p.OrgID, name, s.now()), nil
}

// Timetable is the whole timetable of an expo, for its organisers.
func (s *Service) Timetable(ctx context.Context, p *identity.Principal, expoID string) ([]Meeting, error) {
	e, err := s.organised(ctx, p, expoID)
	if err != nil {
		return nil, err
	}
	return s.store.ListExpoMeetings(ctx, e.ID, "")
}

// Work is what an expo organiser's home shows: across the expos its
// organisation runs, the applications waiting for a decision, the booths
// given whose fee is not paid yet, and the accepted meeting requests.
type Work struct {
	Expos           int `json:"expos"`
	Pending         int `json:"pending_applications"`
	FeesDue         int `json:"fees_due"`
	AcceptedMeeting int `json:"accepted_requests"`
	// First is the expo to open from the home (the first organised).
	First string `json:"first_expo,omitempty"`
}

// OrganiserWork counts an organiser's work (nil for anyone else).
func (s *Service) OrganiserWork(ctx context.Context, p *identity.Principal) (*Work, error) {
	if p == nil || !p.Has(identity.Organiser) {
		return nil, nil
	}
	list, err := s.store.ListExpos(ctx, 500)
	if err != nil {
		return nil, err
	}
	w := &Work{}
	for i := range list {
		e := &list[i]
		if !IsOrganiser(p, e) {
			continue
		}
		if w.Expos++; w.First == "" {
			w.First = e.ID
		}
		apps, err := s.store.ListExpoApplications(ctx, e.ID, "")
		if err != nil {
			return nil, err
		}
		for _, a := range apps {
			switch {
			case a.Status == Pending:
				w.Pending++
			case a.BoothID != "" && !a.Paid:
				w.FeesDue++
			}
		}
		reqs, err := s.store.ListMeetingRequests(ctx, e.ID, "")
		if err != nil {
			return nil, err
		}
		for _, m := range reqs {
			if m.Status == Accepted {
				w.AcceptedMeeting++
			}
		}
	}
	return w, nil
}

// RequestsToAnswer counts the meeting requests addressed to the caller's
// company, across expos, still waiting for its answer; first is an expo
// where one waits.
func (s *Service) RequestsToAnswer(ctx context.Context, p *identity.Principal) (n int, first string, err error) {
	if !IsCompany(p) {
		return 0, "", nil
	}
	list, err := s.store.ListExpos(ctx, 500)
	if err != nil {
		return 0, "", err
	}
	for _, e := range list {
		reqs, err := s.store.ListMeetingRequests(ctx, e.ID, p.OrgID)
		if err != nil {
			return 0, "", err
		}
		for _, m := range reqs {
			if m.ToOrg == p.OrgID && m.Status == Requested {
				if n++; first == "" {
					first = e.ID
				}
			}
		}
	}
	return n, first, nil
}

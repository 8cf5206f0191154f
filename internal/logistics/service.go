package logistics

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/dispatch"
	"bricstown/internal/identity"
	"bricstown/internal/money"
	"bricstown/internal/problem"
	"bricstown/internal/refdata"

	"github.com/google/uuid"
)

// Customs is what logistics needs from the customs service: whose a
// declaration is (as the caller may see it) and whether customs holds its
// goods. The platform implements it over customs.Service, so logistics
// never reads the customs store.
type Customs interface {
	// Declarant answers the organisation that filed the declaration, or
	// problem.NotFound when p may not see it.
	Declarant(ctx context.Context, p *identity.Principal, declarationID string) (string, error)
	// Declared is what the declaration says about moving its goods, as p
	// may read it (problem.NotFound when p may not see it).
	Declared(ctx context.Context, p *identity.Principal, declarationID string) (Declared, error)
	// Held reports whether customs (or quarantine) still holds the goods
	// of the declaration, and why.
	Held(ctx context.Context, declarationID string) (held bool, reason string, err error)
	// Presented tells customs that carrier reports the declaration's goods
	// at borderPost at time at: customs records them presented there if
	// the declaration waits for them at that post (and does nothing
	// otherwise; reporting twice presents once).
	Presented(ctx context.Context, carrier *identity.Principal, declarationID, borderPost string, at time.Time) error
	// Exited records on the declaration that carrier took its goods across
	// borderPost (once per post); problem.Conflict while customs holds them.
	Exited(ctx context.Context, carrier *identity.Principal, declarationID, borderPost string, at time.Time) error
}

// Config wires the service to the rest of the platform.
type Config struct {
	Log *slog.Logger
	Ref *refdata.Data
	// Currency is the ISO 4217 currency the optimiser compares costs in
	// and bookings are totalled in (default USD; the platform uses KZT,
	// the town's). Departures may be priced in any currency: their prices
	// are converted at References of the day.
	Currency string
	// References are the official reference rates (nil: only departures
	// priced in Currency can be booked).
	References References
	// Nodes are the minimum connection times at nodes; a node not listed
	// has dispatch.DefaultMinConnection.
	Nodes   []dispatch.Node
	Customs Customs
	Now     func() time.Time
}

// Service applies the rules of the network: carriers publish and change
// only their own departures, traders enter and book only their own
// shipments, the carrier of a departure reports the journey on it, and the
// platform administrator runs the dispatcher.
type Service struct {
	store Store
	cfg   Config
	net   network
	conn  map[string]time.Duration
}

// NewService returns a service on store.
func NewService(store Store, cfg Config) (*Service, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Ref == nil {
		cfg.Ref = refdata.Default()
	}
	if cfg.Currency == "" {
		cfg.Currency = "USD"
	}
	exp, ok := cfg.Ref.MoneyExponent(cfg.Currency)
	if !ok || exp > dispatch.PriceExp {
		return nil, fmt.Errorf("logistics: %q is not a currency the network can price in", cfg.Currency)
	}
	s := &Service{store: store, cfg: cfg, net: network{currency: cfg.Currency, exp: exp}, conn: map[string]time.Duration{}}
	for _, n := range cfg.Nodes {
		s.conn[n.Locode] = n.MinConnection
	}
	return s, nil
}

// Currency is the network's currency.
func (s *Service) Currency() string { return s.net.currency }

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// MinConnection is the least time between arriving at a node and leaving it
// on another departure.
func (s *Service) MinConnection(locode string) time.Duration {
	if d, ok := s.conn[locode]; ok {
		return d
	}
	return dispatch.DefaultMinConnection
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func departureNotFound() error { return problem.New(problem.NotFound, "no such departure") }
func shipmentNotFound() error  { return problem.New(problem.NotFound, "no such shipment") }

func isCarrier(p *identity.Principal) bool {
	return p != nil && p.OrgKind == identity.KindLogisticsOperator && p.Has(identity.Carrier)
}

func record(p *identity.Principal, action, subjectType, id, org, detail string) audit.Record {
	u, o := p.Actor()
	return audit.Record{ActorUser: u, ActorOrg: o, Action: action, SubjectType: subjectType, SubjectID: id, OrgID: org, Detail: clip(detail, 500)}
}

// DepartureInput is what a carrier publishes. Times are RFC 3339; prices
// are minor units of Currency (the carrier's) per whole TEU and per kg.
type DepartureInput struct {
	Mode           string `json:"mode"`
	From           string `json:"from"`
	To             string `json:"to"`
	DepartAt       string `json:"depart_at"`
	ArriveAt       string `json:"arrive_at"`
	BorderPost     string `json:"border_post,omitempty"`
	CapacityTEU    int64  `json:"capacity_teu"`
	CapacityKg     int64  `json:"capacity_kg"`
	Currency       string `json:"currency"`
	PricePerTEU    int64  `json:"price_per_teu"`
	PricePerKg     int64  `json:"price_per_kg"`
	Reefer         bool   `json:"reefer,omitempty"`
	DangerousGoods bool   `json:"dangerous_goods,omitempty"`
	// Version, on a change, is the version the carrier edited (0: the
	// current one); a change made meanwhile then answers conflict.
	Version int64 `json:"version,omitempty"`
}

// checkDeparture validates in into d.
func (s *Service) checkDeparture(in DepartureInput, d *Departure, now time.Time) error {
	f := problem.Fields{}
	d.Mode = Mode(strings.TrimSpace(in.Mode))
	if !slices.Contains(Modes, d.Mode) {
		f.Add("mode", msgMode)
	}
	from, fc := node(s.cfg.Ref, f, "from", in.From)
	to, tc := node(s.cfg.Ref, f, "to", in.To)
	d.From, d.To = fc, tc
	if fc != "" && fc == tc {
		f.Add("to", msgSameNode)
	}
	d.BorderPost = ""
	if strings.TrimSpace(in.BorderPost) != "" {
		post, pc := node(s.cfg.Ref, f, "border_post", in.BorderPost)
		d.BorderPost = pc
		switch {
		case post.Code == "" || from.Code == "" || to.Code == "":
		case from.Country == to.Country:
			f.Add("border_post", msgNoBorder)
		case post.Country != from.Country && post.Country != to.Country:
			f.Add("border_post", msgBorderPost)
		}
	} else if from.Code != "" && to.Code != "" && from.Country != to.Country && !s.customsUnion(from.Country, to.Country) {
		// Inside a customs union (the EAEU: KZ, RU, BY, AM, KG; the EU)
		// goods cross no customs border, so a leg there needs no post.
		f.Add("border_post", "required: the UN/LOCODE of the border post, e.g. KZHOR")
	}
	d.DepartAt, d.ArriveAt = instant(f, "depart_at", in.DepartAt), instant(f, "arrive_at", in.ArriveAt)
	switch {
	case d.DepartAt.IsZero():
	case !d.DepartAt.After(now):
		f.Add("depart_at", msgFuture)
	case d.DepartAt.Sub(now) > MaxSchedule:
		f.Add("depart_at", "too large")
	}
	if !d.DepartAt.IsZero() && !d.ArriveAt.IsZero() && !d.ArriveAt.After(d.DepartAt) {
		f.Add("arrive_at", msgAfterDepart)
	}
	quantity(f, "capacity_teu", in.CapacityTEU, MaxCapacityTEU, false)
	quantity(f, "capacity_kg", in.CapacityKg, MaxCapacityKg, false)
	if in.CapacityTEU == 0 && in.CapacityKg == 0 {
		f.Add("capacity_teu", "must be a positive whole number")
	}
	d.CapacityTEU, d.CapacityKg = in.CapacityTEU, in.CapacityKg
	d.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	switch c, ok := s.cfg.Ref.Currency(d.Currency); {
	case d.Currency == "":
		f.Add("currency", "required")
	case !ok:
		f.Addf("currency", "unknown ISO 4217 currency %q", clip(in.Currency, 8))
	case !c.IsMoney():
		f.Add("currency", "must be an ISO 4217 currency that holds money")
	}
	exp, _ := s.cfg.Ref.MoneyExponent(d.Currency)
	s.price(f, "price_per_teu", in.PricePerTEU, exp, 1)
	s.price(f, "price_per_kg", in.PricePerKg, exp, qtyScale)
	d.PricePerTEU, d.PricePerKg = in.PricePerTEU, in.PricePerKg
	d.Reefer, d.DangerousGoods = in.Reefer, in.DangerousGoods
	return f.Err("the departure is not valid")
}

// price checks a price in minor units of a currency of exponent exp: not
// negative, and small enough that the optimiser holds every cost exactly
// (in the departure's currency; one that grows too large once converted is
// left out of a run with its reason, ExcludedPriceTooLarge).
func (s *Service) price(f problem.Fields, field string, v int64, exp int, scale int64) {
	if v < 0 {
		f.Add(field, "must not be negative")
		return
	}
	if exp > dispatch.PriceExp {
		return // the currency is refused on its own field
	}
	if scaled, ok := money.Mul(v, pow10(dispatch.PriceExp-exp)*scale); !ok || scaled > solverPriceCap {
		f.Add(field, "too large")
	}
}

// customsUnion reports two members of one customs union (the EAEU, from
// the reference data, or the EU), between which goods cross no customs
// border.
func (s *Service) customsUnion(a, b string) bool {
	return s.cfg.Ref.IsMember(a, refdata.EAEU) && s.cfg.Ref.IsMember(b, refdata.EAEU) || euCustomsUnion[a] && euCustomsUnion[b]
}

// euCustomsUnion are the 27 member states of the European Union, one
// customs territory since 2020 (Regulation (EU) No 952/2013, the Union
// Customs Code, art. 4): a China–Europe train entering at Małaszewicze
// (PLMAA) crosses no customs border on its way to Duisburg.
var euCustomsUnion = map[string]bool{"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true, "DK": true, "EE": true,
	"FI": true, "FR": true, "DE": true, "GR": true, "HU": true, "IE": true, "IT": true, "LV": true, "LT": true, "LU": true, "MT": true,
	"NL": true, "PL": true, "PT": true, "RO": true, "SK": true, "SI": true, "ES": true, "SE": true}

// PublishDeparture publishes a departure of the caller's organisation.
func (s *Service) PublishDeparture(ctx context.Context, p *identity.Principal, in DepartureInput) (Departure, error) {
	if !isCarrier(p) {
		return Departure{}, problem.New(problem.Forbidden, "only a logistics operator's carriers publish departures")
	}
	now := s.now()
	d := Departure{ID: newID(), CarrierOrg: p.OrgID, Version: 1, CreatedAt: now, CreatedBy: p.UserID, UpdatedAt: now}
	if err := s.checkDeparture(in, &d, now); err != nil {
		return Departure{}, err
	}
	err := s.store.CreateDeparture(ctx, d, record(p, "logistics.departure.publish", "departure", d.ID, d.CarrierOrg,
		fmt.Sprintf("%s %s-%s %s, %d TEU %d kg", d.Mode, d.From, d.To, d.DepartAt.Format(time.RFC3339), d.CapacityTEU, d.CapacityKg)))
	return d, err
}

// loadDeparture reads a departure; a malformed id is simply not found.
func (s *Service) loadDeparture(ctx context.Context, id string) (Departure, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Departure{}, departureNotFound()
	}
	d, err := s.store.GetDeparture(ctx, id)
	if problem.Is(err, problem.NotFound) {
		return Departure{}, departureNotFound()
	}
	return d, err
}

// UpdateDeparture changes a departure of the caller's organisation. Another
// organisation's departure answers not_found, like an unknown one. Capacity
// cannot go below what is booked, and a departure with bookings keeps its
// route and times (its passengers' chains were checked against them).
func (s *Service) UpdateDeparture(ctx context.Context, p *identity.Principal, id string, in DepartureInput) (Departure, error) {
	if !isCarrier(p) {
		return Departure{}, problem.New(problem.Forbidden, "only a logistics operator's carriers change departures")
	}
	old, err := s.loadDeparture(ctx, id)
	if err != nil {
		return Departure{}, err
	}
	if old.CarrierOrg != p.OrgID {
		return Departure{}, departureNotFound()
	}
	now := s.now()
	if !old.DepartAt.After(now) {
		return Departure{}, problem.New(problem.Conflict, "the departure has left: it can no longer change")
	}
	base := old.Version
	if in.Version != 0 {
		base = in.Version
	}
	d := old
	if err := s.checkDeparture(in, &d, now); err != nil {
		return Departure{}, err
	}
	f := problem.Fields{}
	if d.CapacityTEU < old.BookedTEU {
		f.Addf("capacity_teu", "must not be below the %d already booked", old.BookedTEU)
	}
	if d.CapacityKg < old.BookedKg {
		f.Addf("capacity_kg", "must not be below the %d already booked", old.BookedKg)
	}
	if err := f.Err("the capacity is below what is booked"); err != nil {
		return Departure{}, conflict(err)
	}
	d.Version, d.UpdatedAt = base+1, now
	err = s.store.UpdateDeparture(ctx, d, base, record(p, "logistics.departure.update", "departure", d.ID, d.CarrierOrg,
		fmt.Sprintf("v%d: %s-%s %s, %d TEU %d kg", d.Version, d.From, d.To, d.DepartAt.Format(time.RFC3339), d.CapacityTEU, d.CapacityKg)))
	if err != nil {
		return Departure{}, err
	}
	return s.store.GetDeparture(ctx, d.ID)
}

// conflict turns a field error into a conflict with the same fields.
func conflict(err error) error {
	if pe, ok := err.(*problem.Error); ok {
		pe.Code = problem.Conflict
	}
	return err
}

// Departure returns one departure. The network's schedule is public to
// everyone who ships or carries: any signed-in carrier, trader or the
// platform administrator may read it.
func (s *Service) Departure(ctx context.Context, p *identity.Principal, id string) (Departure, error) {
	if !mayReadNetwork(p) {
		return Departure{}, departureNotFound()
	}
	return s.loadDeparture(ctx, id)
}

func mayReadNetwork(p *identity.Principal) bool {
	return p.Has(identity.PlatformAdmin) || p.Has(identity.Trader) || isCarrier(p)
}

// DepartureFilter narrows the schedule.
type DepartureFilter struct {
	CarrierOrg string
	From, To   string
	// All includes departures that have left (default: only those to come).
	All   bool
	After string
	Limit int
}

// Departures lists the schedule, soonest first.
func (s *Service) Departures(ctx context.Context, p *identity.Principal, q DepartureFilter) ([]Departure, error) {
	if !mayReadNetwork(p) {
		return nil, problem.New(problem.Forbidden, "the schedule is for carriers and traders")
	}
	dq := DepartureQuery{CarrierOrg: q.CarrierOrg, From: strings.ToUpper(q.From), To: strings.ToUpper(q.To), After: q.After, Limit: q.Limit}
	if dq.Limit <= 0 || dq.Limit > 500 {
		dq.Limit = 100
	}
	if !q.All {
		dq.DepartFrom = s.now()
	}
	return s.store.ListDepartures(ctx, dq)
}

// ShipmentInput is what a trader enters. Times are RFC 3339. With a
// declaration_id, what is left out is taken from the declaration (see
// prefill): origin and destination from its border crossing, the size from
// its containers and gross mass, the reference, ready now and a deadline.
type ShipmentInput struct {
	Reference      string `json:"reference,omitempty"`
	Origin         string `json:"origin"`
	Destination    string `json:"destination"`
	ReadyAt        string `json:"ready_at"`
	Deadline       string `json:"deadline"`
	TEU            int64  `json:"teu"`
	Kg             int64  `json:"kg"`
	Reefer         bool   `json:"reefer,omitempty"`
	DangerousGoods bool   `json:"dangerous_goods,omitempty"`
	DeclarationID  string `json:"declaration_id,omitempty"`
	// Penalty is what leaving the shipment unassigned costs, in minor
	// units of the network's currency (0: the largest allowed).
	Penalty int64 `json:"penalty,omitempty"`
}

// maxPenaltyMinor is the largest penalty in minor units.
func (s *Service) maxPenaltyMinor() int64 { return solverPenalty / s.net.penaltyScale() }

// CreateShipment enters a shipment of the caller's organisation.
func (s *Service) CreateShipment(ctx context.Context, p *identity.Principal, in ShipmentInput) (Shipment, error) {
	if p == nil || !p.Has(identity.Trader) {
		return Shipment{}, problem.New(problem.Forbidden, "only traders enter shipments")
	}
	now := s.now()
	f := problem.Fields{}
	declID := strings.TrimSpace(in.DeclarationID)
	var decl Declared
	if declID != "" {
		d, err := s.cfg.Customs.Declared(ctx, p, declID)
		switch {
		case problem.Is(err, problem.NotFound) || err == nil && d.DeclarantOrg != p.OrgID:
			f.Add("declaration_id", msgOwnDecl)
		case err != nil:
			return Shipment{}, err
		default:
			if err := s.prefill(ctx, &in, d, now); err != nil {
				return Shipment{}, err
			}
			decl = d
		}
	}
	sh := Shipment{ID: newID(), OwnerOrg: p.OrgID, Status: Open, CreatedAt: now, CreatedBy: p.UserID, UpdatedAt: now,
		Reefer: in.Reefer, DangerousGoods: in.DangerousGoods, TEU: in.TEU, Kg: in.Kg, DeclarationID: declID}
	sh.Reference = validText(f, "reference", in.Reference, 64, false)
	_, sh.Origin = node(s.cfg.Ref, f, "origin", in.Origin)
	_, sh.Destination = node(s.cfg.Ref, f, "destination", in.Destination)
	if sh.Origin != "" && sh.Origin == sh.Destination {
		f.Add("destination", msgSameNode)
	}
	sh.ReadyAt, sh.Deadline = instant(f, "ready_at", in.ReadyAt), instant(f, "deadline", in.Deadline)
	switch {
	case sh.Deadline.IsZero():
	case !sh.Deadline.After(now):
		f.Add("deadline", msgFuture)
	case !sh.ReadyAt.IsZero() && !sh.Deadline.After(sh.ReadyAt):
		f.Add("deadline", msgAfterReady)
	case sh.Deadline.Sub(now) > MaxSchedule:
		f.Add("deadline", "too large")
	}
	quantity(f, "teu", in.TEU, MaxShipmentTEU, false)
	quantity(f, "kg", in.Kg, MaxShipmentKg, false)
	if in.TEU == 0 && in.Kg == 0 {
		f.Add("teu", "must be a positive whole number")
	}
	sh.PenaltyMinor = in.Penalty
	switch {
	case in.Penalty == 0:
		sh.PenaltyMinor = s.maxPenaltyMinor()
	case in.Penalty < 0:
		f.Add("penalty", "must not be negative")
	case in.Penalty > s.maxPenaltyMinor():
		f.Add("penalty", "too large")
	}
	if err := f.Err("the shipment is not valid"); err != nil {
		return Shipment{}, err
	}
	sh.SearchText = s.SearchText(&sh, decl.Reference, decl.Goods...)
	err := s.store.CreateShipment(ctx, sh, record(p, "logistics.shipment.create", "shipment", sh.ID, sh.OwnerOrg,
		fmt.Sprintf("%s-%s, %d TEU %d kg, by %s", sh.Origin, sh.Destination, sh.TEU, sh.Kg, sh.Deadline.Format(time.RFC3339))))
	return sh, err
}

func (s *Service) loadShipment(ctx context.Context, id string) (Shipment, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Shipment{}, shipmentNotFound()
	}
	sh, err := s.store.GetShipment(ctx, id)
	if problem.Is(err, problem.NotFound) {
		return Shipment{}, shipmentNotFound()
	}
	return sh, err
}

// chain reads a booking's departures in travel order.
func (s *Service) chain(ctx context.Context, b *Booking) ([]Departure, error) {
	out := make([]Departure, len(b.Legs))
	for i, l := range b.Legs {
		d, err := s.store.GetDeparture(ctx, l.DepartureID)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

// access is what a caller may do with a shipment.
type access struct {
	sh      Shipment
	booking *Booking
	legs    []Departure
	owner   bool // the owner's trader (or the administrator)
	carrier bool // carries at least one leg of its active booking
}

// open loads a shipment the caller may see: its owner's organisation, the
// carriers of its active booking, the platform administrator. Anyone else
// is told it does not exist.
func (s *Service) open(ctx context.Context, p *identity.Principal, id string) (access, error) {
	if p == nil {
		return access{}, problem.New(problem.Unauthenticated, "sign in")
	}
	sh, err := s.loadShipment(ctx, id)
	if err != nil {
		return access{}, err
	}
	a := access{sh: sh, owner: p.CanSeeOrg(sh.OwnerOrg)}
	b, err := s.store.ActiveBooking(ctx, sh.ID)
	switch {
	case err == nil:
		a.booking = &b
		if a.legs, err = s.chain(ctx, &b); err != nil {
			return access{}, err
		}
		if isCarrier(p) {
			for _, d := range a.legs {
				a.carrier = a.carrier || d.CarrierOrg == p.OrgID
			}
		}
	case !problem.Is(err, problem.NotFound):
		return access{}, err
	}
	if !a.owner && !a.carrier {
		return access{}, shipmentNotFound()
	}
	return a, nil
}

// ShipmentView is a shipment with its booking, journey and ETA.
type ShipmentView struct {
	Shipment
	Booking  *Booking  `json:"booking,omitempty"`
	Events   []Event   `json:"events"`
	Tracking *Tracking `json:"tracking,omitempty"`
	// CustomsHold says that customs still holds the goods of the
	// shipment's declaration (and HoldReason why): it cannot cross a border.
	CustomsHold bool   `json:"customs_hold"`
	HoldReason  string `json:"customs_hold_reason,omitempty"`
}

// Shipment returns a shipment the caller may see, with its booking,
// events, ETA and customs hold.
func (s *Service) Shipment(ctx context.Context, p *identity.Principal, id string) (ShipmentView, error) {
	a, err := s.open(ctx, p, id)
	if err != nil {
		return ShipmentView{}, err
	}
	v := ShipmentView{Shipment: a.sh, Booking: a.booking}
	if v.Events, err = s.store.Events(ctx, a.sh.ID); err != nil {
		return ShipmentView{}, err
	}
	if v.Events == nil {
		v.Events = []Event{}
	}
	if a.booking != nil {
		tr := Track(a.legs, eventsOf(v.Events, a.booking.ID), s.MinConnection)
		v.Tracking = &tr
	}
	if a.sh.DeclarationID != "" {
		if v.CustomsHold, v.HoldReason, err = s.cfg.Customs.Held(ctx, a.sh.DeclarationID); err != nil {
			return ShipmentView{}, err
		}
	}
	return v, nil
}

func eventsOf(all []Event, bookingID string) []Event {
	var out []Event
	for _, e := range all {
		if e.BookingID == bookingID {
			out = append(out, e)
		}
	}
	return out
}

// Shipments lists the caller's shipments in a status (SearchShipments
// without a search).
func (s *Service) Shipments(ctx context.Context, p *identity.Principal, status ShipmentStatus, after string, limit int) ([]Shipment, error) {
	return s.SearchShipments(ctx, p, ShipmentFind{Status: status, After: after, Limit: limit})
}

// mergeNewest merges two lists ordered by id descending, without repeats.
func mergeNewest(a, b []Shipment, limit int) []Shipment {
	out := append(append([]Shipment{}, a...), b...)
	slices.SortFunc(out, func(x, y Shipment) int { return strings.Compare(y.ID, x.ID) })
	out = slices.CompactFunc(out, func(x, y Shipment) bool { return x.ID == y.ID })
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// BookInput names the chain of departures to book, in travel order; an
// empty chain asks for the best route: the optimiser picks the cheapest
// chain that still has room, accepts the shipment's handling and arrives
// by its deadline.
type BookInput struct {
	DepartureIDs []string `json:"departure_ids,omitempty"`
}

// Book books a shipment of the caller's organisation. Capacity is checked
// and taken in the booking's transaction: when a concurrent booking took
// the last room, this one answers conflict and nothing is written.
func (s *Service) Book(ctx context.Context, p *identity.Principal, shipmentID string, in BookInput) (Booking, error) {
	if p == nil || !p.Has(identity.Trader) {
		return Booking{}, problem.New(problem.Forbidden, "only traders book their shipments")
	}
	a, err := s.open(ctx, p, shipmentID)
	if err != nil {
		return Booking{}, err
	}
	if !a.owner || a.sh.OwnerOrg != p.OrgID {
		return Booking{}, shipmentNotFound()
	}
	if a.booking != nil || a.sh.Status != Open {
		return Booking{}, fieldConflict("departure_ids", msgBooked)
	}
	now := s.now()
	pr, err := s.pricing(ctx, now)
	if err != nil {
		return Booking{}, err
	}
	var legs []Departure
	if len(in.DepartureIDs) == 0 {
		if legs, err = s.bestRoute(ctx, pr, &a.sh, now); err != nil {
			return Booking{}, err
		}
	} else if legs, err = s.explicitChain(ctx, pr, &a.sh, in.DepartureIDs, now); err != nil {
		return Booking{}, err
	}
	b, err := s.booking(pr, &a.sh, legs, "trader", p.UserID, now)
	if err != nil {
		return Booking{}, err
	}
	if err := s.store.Book(ctx, b, record(p, "logistics.book", "shipment", a.sh.ID, a.sh.OwnerOrg,
		fmt.Sprintf("booking %s on %s, %s %s", b.ID, strings.Join(b.DepartureIDs(), ";"),
			money.FormatAmount(b.CostMinor, s.net.exp), b.Currency))); err != nil {
		return Booking{}, err
	}
	return b, nil
}

func fieldConflict(field, msg string) error {
	return &problem.Error{Code: problem.Conflict, Message: msg, Fields: map[string]string{field: msg}}
}

// booking prices a chain for a shipment: each leg in its departure's
// currency, the total in the network's (each leg converted once).
func (s *Service) booking(pr *pricing, sh *Shipment, legs []Departure, source, by string, now time.Time) (Booking, error) {
	b := Booking{ID: newID(), ShipmentID: sh.ID, TEU: sh.TEU, Kg: sh.Kg, Currency: s.net.currency, Status: Active, Source: source,
		BookedAt: now, BookedBy: by}
	for i := range legs {
		l, net, err := pr.legCost(sh, &legs[i], fmt.Sprintf("departure_ids[%d]", i))
		if err != nil {
			return Booking{}, err
		}
		var ok bool
		if b.CostMinor, ok = money.Add(b.CostMinor, net); !ok {
			return Booking{}, problem.New(problem.Invalid, "the cost of the route overflows")
		}
		b.Legs = append(b.Legs, l)
	}
	return b, nil
}

// explicitChain checks a chain the trader named: known departures that
// have not left, take the shipment's handling and have room, and form a
// route the optimiser's rules accept (origin after ready_at, connections at
// least each node's minimum, destination by the deadline).
func (s *Service) explicitChain(ctx context.Context, pr *pricing, sh *Shipment, ids []string, now time.Time) ([]Departure, error) {
	if len(ids) > MaxLegs {
		return nil, &problem.Error{Code: problem.Invalid, Message: "the route is not valid",
			Fields: map[string]string{"departure_ids": fmt.Sprintf("at most %d departures", MaxLegs)}}
	}
	legs := make([]Departure, len(ids))
	for i, id := range ids {
		d, err := s.loadDeparture(ctx, strings.TrimSpace(id))
		if problem.Is(err, problem.NotFound) {
			return nil, &problem.Error{Code: problem.Invalid, Message: "the route is not valid",
				Fields: map[string]string{fmt.Sprintf("departure_ids[%d]", i): "no such departure"}}
		}
		if err != nil {
			return nil, err
		}
		legs[i] = d
	}
	for i, d := range legs {
		field := fmt.Sprintf("departure_ids[%d]", i)
		switch {
		case !d.DepartAt.After(now):
			return nil, fieldConflict(field, msgDeparted)
		case !d.Accepts(sh):
			return nil, &problem.Error{Code: problem.Invalid, Message: msgHandling, Fields: map[string]string{field: msgHandling}}
		case d.LeftTEU() < sh.TEU || d.LeftKg() < sh.Kg:
			return nil, capacityConflict(field, d.ID)
		}
		if _, why := pr.quote(&d); why == ExcludedNoRate {
			return nil, pr.noRate(field, d.Currency)
		}
	}
	// The optimiser checks a confirmed booking as a chain before anything
	// else; capacities are lifted so that only the chain is judged here
	// (the store takes the capacity).
	// Only the chain is judged: prices play no part (and may be zero).
	prob := s.problem([]Shipment{*sh}, legs, nil, now, false)
	prob.Confirmed = []dispatch.Assignment{{ShipmentID: sh.ID, DepartureIDs: ids}}
	if _, err := dispatch.Solve(ctx, &prob, dispatch.Options{Iterations: 1, Workers: 1}); err != nil {
		msg := problem.MessageOf(err)
		if _, after, ok := strings.Cut(msg, ": "); ok {
			msg = after
		}
		return nil, &problem.Error{Code: problem.Invalid, Message: "the route is not valid",
			Fields: map[string]string{"departure_ids": "not a feasible route: " + msg}}
	}
	return legs, nil
}

func capacityConflict(field, departureID string) error {
	return fieldConflict(field, "not enough capacity left on departure "+departureID)
}

// problem lays out shipments and departures for the optimiser, each
// departure at its quote in the network's currency (zero when it has none).
// With remaining, a departure offers what is left of it; without, room is
// unbounded (only chains are judged).
func (s *Service) problem(ships []Shipment, deps []Departure, quotes map[string]quote, now time.Time, remaining bool) dispatch.Problem {
	pr := dispatch.Problem{Nodes: s.cfg.Nodes}
	for _, d := range deps {
		q := quotes[d.ID]
		dd := dispatch.Departure{ID: d.ID, From: d.From, To: d.To, DepartAt: d.DepartAt, ArriveAt: d.ArriveAt,
			CapacityTEU: MaxCapacityTEU * qtyScale, CapacityKg: MaxCapacityKg,
			PricePerTEU: q.teu, PricePerKg: q.kg, Handling: handlingOf(d.Reefer, d.DangerousGoods)}
		if remaining {
			dd.CapacityTEU, dd.CapacityKg = d.LeftTEU()*qtyScale, d.LeftKg()
		}
		pr.Departures = append(pr.Departures, dd)
	}
	for _, sh := range ships {
		ready := sh.ReadyAt
		if ready.Before(now) {
			ready = now
		}
		pen, ok := money.Mul(sh.PenaltyMinor, s.net.penaltyScale())
		if !ok || pen > solverPenalty {
			pen = solverPenalty
		}
		pr.Shipments = append(pr.Shipments, dispatch.Shipment{ID: sh.ID, Origin: sh.Origin, Destination: sh.Destination,
			ReadyAt: ready, Deadline: sh.Deadline, TEU: sh.TEU * qtyScale, Kg: sh.Kg, Penalty: pen,
			Handling: handlingOf(sh.Reefer, sh.DangerousGoods)})
	}
	if len(pr.Nodes) > 0 {
		// Every node the network uses must be known to the optimiser.
		known := map[string]bool{}
		for _, n := range pr.Nodes {
			known[n.Locode] = true
		}
		add := func(c string) {
			if !known[c] {
				known[c] = true
				pr.Nodes = append(pr.Nodes, dispatch.Node{Locode: c, MinConnection: dispatch.DefaultMinConnection})
			}
		}
		pr.Nodes = slices.Clone(pr.Nodes)
		for _, d := range pr.Departures {
			add(d.From)
			add(d.To)
		}
		for _, sh := range pr.Shipments {
			add(sh.Origin)
			add(sh.Destination)
		}
	}
	return pr
}

// handlingOf is the optimiser's handling bits for a departure's
// capabilities or a shipment's needs.
func handlingOf(reefer, dg bool) dispatch.Handling {
	var h dispatch.Handling
	if reefer {
		h |= dispatch.Reefer
	}
	if dg {
		h |= dispatch.DangerousGoods
	}
	return h
}

// openDepartures reads the departures still to come, in any currency.
func (s *Service) openDepartures(ctx context.Context, now time.Time) ([]Departure, error) {
	var out []Departure
	q := DepartureQuery{DepartFrom: now.Add(time.Second), Limit: 1000}
	for len(out) < maxNetwork {
		page, err := s.store.ListDepartures(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, d := range page {
			if d.DepartAt.After(now) {
				out = append(out, d)
			}
		}
		if len(page) < q.Limit {
			break
		}
		q.After = page[len(page)-1].ID
		q.DepartFrom = page[len(page)-1].DepartAt
	}
	return out, nil
}

// bestRoute runs the optimiser for one shipment over the departures that
// take its handling and still have room for all of it, so the cheapest
// timely chain it finds is one the booking can take. Departures that
// cannot be priced in the network's currency are left out; when no route
// is found, the answer says how many were.
func (s *Service) bestRoute(ctx context.Context, pr *pricing, sh *Shipment, now time.Time) ([]Departure, error) {
	open, err := s.openDepartures(ctx, now)
	if err != nil {
		return nil, err
	}
	all, quotes, excluded := pr.split(open)
	var fit []Departure
	byID := map[string]Departure{}
	for _, d := range all {
		if d.Accepts(sh) && d.LeftTEU() >= sh.TEU && d.LeftKg() >= sh.Kg && !d.ArriveAt.After(sh.Deadline) {
			fit = append(fit, d)
			byID[d.ID] = d
		}
	}
	prob := s.problem([]Shipment{*sh}, fit, quotes, now, true)
	// The trader asks for a route, not whether one is worth its penalty:
	// any route beats leaving it (one shipment's penalty may be as large as
	// the optimiser sums exactly).
	prob.Shipments[0].Penalty = bestRoutePenalty
	res, err := dispatch.Solve(ctx, &prob, dispatch.Options{Workers: 1})
	if err != nil {
		return nil, err
	}
	route := res.Assignments[0].DepartureIDs
	if len(route) == 0 {
		reason := string(res.Reasons[sh.ID])
		if len(excluded) > 0 {
			reason += fmt.Sprintf(" (%d departures left out: no reference rate into %s on %s)", len(excluded), s.net.currency, pr.date)
		}
		return nil, fieldConflict("departure_ids", "no route can carry the shipment: "+reason)
	}
	legs := make([]Departure, len(route))
	for i, id := range route {
		legs[i] = byID[id]
	}
	return legs, nil
}

// CancelBooking cancels the active booking of a shipment of the caller's
// organisation and gives its capacity back; once the shipment has left,
// it cannot be cancelled.
func (s *Service) CancelBooking(ctx context.Context, p *identity.Principal, shipmentID string) (Shipment, error) {
	if p == nil || !p.Has(identity.Trader) {
		return Shipment{}, problem.New(problem.Forbidden, "only traders cancel their bookings")
	}
	a, err := s.open(ctx, p, shipmentID)
	if err != nil {
		return Shipment{}, err
	}
	if !a.owner || a.sh.OwnerOrg != p.OrgID {
		return Shipment{}, shipmentNotFound()
	}
	if a.booking == nil {
		return Shipment{}, problem.New(problem.Conflict, "the shipment has no booking")
	}
	if a.sh.Status != Booked {
		return Shipment{}, problem.New(problem.Conflict, "the shipment has left: its booking cannot be cancelled")
	}
	now := s.now()
	if err := s.store.CancelBooking(ctx, a.sh.ID, a.booking.ID, a.sh.EventCount, now, record(p, "logistics.booking.cancel", "shipment",
		a.sh.ID, a.sh.OwnerOrg, "booking "+a.booking.ID)); err != nil {
		return Shipment{}, err
	}
	return s.store.GetShipment(ctx, a.sh.ID)
}

// EventInput is what a carrier reports about a shipment on one of its
// departures. At is RFC 3339 (default: now).
type EventInput struct {
	DepartureID string `json:"departure_id"`
	Kind        string `json:"kind"`
	At          string `json:"at,omitempty"`
	Note        string `json:"note,omitempty"`
}

// RecordEvent records a tracking event reported by the carrier of the
// departure. Events come in the order Expected says; anything else is a
// conflict and nothing is written. A border crossing is refused while
// customs holds the shipment's declaration.
func (s *Service) RecordEvent(ctx context.Context, p *identity.Principal, shipmentID string, in EventInput) (Event, error) {
	if !isCarrier(p) {
		return Event{}, problem.New(problem.Forbidden, "only carriers report tracking events")
	}
	a, err := s.open(ctx, p, shipmentID)
	if err != nil {
		return Event{}, err
	}
	if !a.carrier {
		if a.owner {
			return Event{}, problem.New(problem.Forbidden, "only the carriers of the shipment's departures report on it")
		}
		return Event{}, shipmentNotFound()
	}
	now := s.now()
	f := problem.Fields{}
	e := Event{ShipmentID: a.sh.ID, BookingID: a.booking.ID, Leg: -1, Kind: EventKind(strings.TrimSpace(in.Kind)), RecordedAt: now,
		ActorUser: p.UserID, ActorOrg: p.OrgID}
	e.Note = validText(f, "note", in.Note, 500, false)
	for i, d := range a.legs {
		if d.ID == strings.TrimSpace(in.DepartureID) {
			e.Leg, e.DepartureID = i, d.ID
		}
	}
	if e.Leg < 0 {
		f.Add("departure_id", "must be a departure of the shipment's booking")
	} else if a.legs[e.Leg].CarrierOrg != p.OrgID {
		return Event{}, problem.New(problem.Forbidden, "only the departure's carrier reports on it")
	}
	if !slices.Contains(EventKinds, e.Kind) {
		f.Add("kind", "must be departed, at_border, customs_hold, customs_released, border_crossed, arrived or delivered")
	}
	e.At = now.Truncate(time.Second)
	if strings.TrimSpace(in.At) != "" {
		if e.At = instant(f, "at", in.At); !e.At.IsZero() && e.At.After(now.Add(futureSlack)) {
			f.Add("at", "must not be in the future")
		}
	}
	if err := f.Err("the event is not valid"); err != nil {
		return Event{}, err
	}
	all, err := s.store.Events(ctx, a.sh.ID)
	if err != nil {
		return Event{}, err
	}
	mine := eventsOf(all, a.booking.ID)
	if err := CheckOrder(a.legs, mine, e); err != nil {
		return Event{}, fieldConflict("kind", err.Error())
	}
	if n := len(mine); n > 0 && e.At.Before(mine[n-1].At) {
		return Event{}, fieldConflict("at", "must not be before the previous event")
	}
	if err := s.tellCustoms(ctx, p, &a, e); err != nil {
		return Event{}, err
	}
	e.Seq = a.sh.EventCount + 1
	if err := s.store.AppendEvent(ctx, e, StatusAfter(a.sh.Status, e), record(p, "logistics.event."+string(e.Kind), "shipment",
		a.sh.ID, a.sh.OwnerOrg, fmt.Sprintf("leg %d (%s) at %s", e.Leg+1, e.DepartureID, e.At.Format(time.RFC3339)))); err != nil {
		return Event{}, err
	}
	return e, nil
}

// tellCustoms passes a border event of a shipment with a declaration to
// customs before the event is recorded: at_border presents the goods at
// the leg's post, border_crossed is refused while customs holds them and
// otherwise records their exit on the declaration. Customs' side is
// idempotent, so when recording the event then fails, the carrier's retry
// meets no second presentation or exit.
func (s *Service) tellCustoms(ctx context.Context, p *identity.Principal, a *access, e Event) error {
	decl, post := a.sh.DeclarationID, a.legs[e.Leg].BorderPost
	if decl == "" {
		return nil
	}
	switch e.Kind {
	case EvAtBorder:
		return s.cfg.Customs.Presented(ctx, p, decl, post, e.At)
	case EvBorderCrossed:
		held, reason, err := s.cfg.Customs.Held(ctx, decl)
		if err != nil {
			return err
		}
		if !held {
			err = s.cfg.Customs.Exited(ctx, p, decl, post, e.At)
			if !problem.Is(err, problem.Conflict) {
				return err
			}
			reason = "held" // a hold placed since Held answered
		}
		return fieldConflict("kind", fmt.Sprintf("the declaration is held by customs (%s)", reason))
	}
	return nil
}

// PlanResult is what a dispatcher's run did.
type PlanResult struct {
	Shipments  int          `json:"shipments"`
	Departures int          `json:"departures"`
	Assigned   int          `json:"assigned"`
	Bookings   []Booking    `json:"bookings"`
	Unassigned []Unassigned `json:"unassigned"`
	// Cost and LowerBound are in currency units (decimal, exact): the
	// transport cost of the bookings made plus the penalties of the
	// shipments left, and the optimiser's proven bound on it.
	Currency   string  `json:"currency"`
	Cost       string  `json:"cost"`
	LowerBound string  `json:"lower_bound"`
	Gap        float64 `json:"gap"`
	// Excluded are the departures the run could not price in Currency at
	// the reference rates of RateDate (the run's day), with the reason.
	Excluded []Excluded `json:"excluded_departures"`
	RateDate string     `json:"rate_date"`
}

// Plan runs the dispatcher: every open shipment is assigned by the
// optimiser to chains of departures still to come, over their remaining
// capacity, so confirmed bookings stay as they are. All shipments are
// solved as one problem, each only over the departures that take its
// handling (reefer, dangerous goods): a departure that takes both is
// shared by every kind of shipment, and the optimiser decides who gets it
// (solving the kinds one after another let whichever came first take it),
// and its lower bound is a bound on that one problem. The bookings and the
// reasons for the shipments left are written in one transaction. Only the
// platform administrator runs it.
func (s *Service) Plan(ctx context.Context, p *identity.Principal) (PlanResult, error) {
	if !p.Has(identity.PlatformAdmin) {
		return PlanResult{}, problem.New(problem.Forbidden, "only the platform administrator runs the dispatcher")
	}
	now := s.now()
	var ships []Shipment
	q := ShipmentQuery{Status: Open, Limit: 1000}
	for len(ships) < maxPlan {
		page, err := s.store.ListShipments(ctx, q)
		if err != nil {
			return PlanResult{}, err
		}
		for _, sh := range page {
			if sh.Deadline.After(now) && len(ships) < maxPlan {
				ships = append(ships, sh)
			}
		}
		if len(page) < q.Limit {
			break
		}
		q.After = page[len(page)-1].ID
	}
	open, err := s.openDepartures(ctx, now)
	if err != nil {
		return PlanResult{}, err
	}
	pr, err := s.pricing(ctx, now)
	if err != nil {
		return PlanResult{}, err
	}
	deps, quotes, excluded := pr.split(open)
	res := PlanResult{Shipments: len(ships), Departures: len(deps), Currency: s.net.currency, Bookings: []Booking{}, Unassigned: []Unassigned{},
		Excluded: excluded, RateDate: pr.date}
	if res.Excluded == nil {
		res.Excluded = []Excluded{}
	}
	left := make(map[string]*Departure, len(deps))
	for i := range deps {
		left[deps[i].ID] = &deps[i]
	}
	prob := s.problem(ships, deps, quotes, now, true)
	r, err := dispatch.Solve(ctx, &prob, dispatch.Options{})
	if err != nil {
		return PlanResult{}, err
	}
	cost, bound := r.Cost, r.LowerBound
	for i, asg := range r.Assignments {
		sh := &ships[i]
		if len(asg.DepartureIDs) == 0 {
			res.Unassigned = append(res.Unassigned, Unassigned{ShipmentID: sh.ID, Reason: string(r.Reasons[sh.ID])})
			continue
		}
		legs := make([]Departure, len(asg.DepartureIDs))
		for k, id := range asg.DepartureIDs {
			d := left[id]
			d.BookedTEU += sh.TEU
			d.BookedKg += sh.Kg
			legs[k] = *d
		}
		b, err := s.booking(pr, sh, legs, "dispatch", p.UserID, now)
		if err != nil {
			return PlanResult{}, err
		}
		res.Bookings = append(res.Bookings, b)
	}
	res.Assigned = len(res.Bookings)
	res.Cost, res.LowerBound = dispatch.FormatCost(cost), dispatch.FormatCost(bound)
	if cost > 0 {
		res.Gap = float64(cost-bound) / float64(cost)
	}
	if len(ships) == 0 {
		return res, nil
	}
	err = s.store.BookPlan(ctx, res.Bookings, res.Unassigned, now, record(p, "logistics.plan", "dispatch_run", newID(), "",
		fmt.Sprintf("%d shipments, %d booked, %d left, cost %s %s, bound %s", len(ships), res.Assigned, len(res.Unassigned),
			res.Cost, res.Currency, res.LowerBound)))
	if problem.Is(err, problem.Conflict) {
		return PlanResult{}, problem.New(problem.Conflict, "bookings changed while the dispatcher ran: run it again")
	}
	return res, err
}

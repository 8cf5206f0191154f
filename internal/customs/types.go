package customs

import (
	"time"

	"bricstown/internal/money"
)

// Procedure is the customs procedure the goods are declared for. The WCO
// Data Model carries it in Declaration/TypeCode as a national code (EX, IM,
// TR in the EU's); it is spelled out here because the three procedures are
// taxed and controlled differently and a word reads better in logs and URLs.
type Procedure string

// The declared procedures.
const (
	Export  Procedure = "export"
	Import  Procedure = "import"
	Transit Procedure = "transit"
)

// Procedures lists the procedures in a stable order for forms.
var Procedures = []Procedure{Import, Export, Transit}

// Status is where a declaration stands in the customs part of its life.
// Quarantine (SPS) runs beside it with its own SPSStatus, because customs and
// quarantine work the same file at the same time rather than one after the
// other.
type Status string

// Declaration statuses. Assessed means duties are computed and the lane is
// assigned with no customs check pending (green or blue lane); the yellow
// and red lanes rest in DocumentaryCheck and PhysicalInspection instead.
const (
	StatusDraft              Status = "draft"
	StatusSubmitted          Status = "submitted" // lodged; pre-lodged declarations wait here for the goods
	StatusAssessed           Status = "assessed"
	StatusDocumentaryCheck   Status = "documentary_check"
	StatusPhysicalInspection Status = "physical_inspection"
	StatusReleased           Status = "released"
	StatusRefused            Status = "refused"
	StatusCancelled          Status = "cancelled"
)

// Statuses lists every status in lifecycle order, for filters and tests.
var Statuses = []Status{StatusDraft, StatusSubmitted, StatusAssessed, StatusDocumentaryCheck,
	StatusPhysicalInspection, StatusReleased, StatusRefused, StatusCancelled}

// Final reports whether nothing can happen to the declaration any more.
func (s Status) Final() bool {
	return s == StatusReleased || s == StatusRefused || s == StatusCancelled
}

// Lane is the selectivity channel of ASYCUDA and ASTANA-1: how much customs
// looks at the goods before they go.
type Lane string

// Lanes. LaneNone is the lane of a declaration not yet assessed.
const (
	LaneNone   Lane = ""
	LaneGreen  Lane = "green"  // release once duties are paid
	LaneYellow Lane = "yellow" // documentary check first
	LaneRed    Lane = "red"    // physical inspection first
	LaneBlue   Lane = "blue"   // release now, post-clearance audit later
)

// Lanes lists the assigned lanes in dashboard order.
var Lanes = []Lane{LaneGreen, LaneYellow, LaneRed, LaneBlue}

// SPSStatus is the quarantine authority's side of a declaration.
type SPSStatus string

// SPS statuses. Only NotRequired and Cleared let customs release the goods.
const (
	SPSNotEvaluated       SPSStatus = ""                    // a draft: nothing decided yet
	SPSNotRequired        SPSStatus = "not_required"        // no goods under SPS control
	SPSAwaitingInspection SPSStatus = "awaiting_inspection" // an inspection is required and not yet passed
	SPSAwaitingLab        SPSStatus = "awaiting_lab"        // inspected, samples at the laboratory
	SPSHeld               SPSStatus = "held"                // quarantine holds the goods
	SPSCleared            SPSStatus = "cleared"             // quarantine has no objection
)

// SPSStatuses lists the statuses a submitted declaration can have.
var SPSStatuses = []SPSStatus{SPSNotRequired, SPSAwaitingInspection, SPSAwaitingLab, SPSHeld, SPSCleared}

// Clear reports whether quarantine lets the goods go.
func (s SPSStatus) Clear() bool { return s == SPSNotRequired || s == SPSCleared }

// TransportMode is how the goods cross the border. The WCO Data Model uses
// the UN/ECE Recommendation 19 digits in BorderTransportMeans/ModeCode; the
// platform uses the words because its corridors are named by them.
type TransportMode string

// Transport modes.
const (
	ModeRoad       TransportMode = "road"
	ModeRail       TransportMode = "rail"
	ModeAir        TransportMode = "air"
	ModeSea        TransportMode = "sea"
	ModeMultimodal TransportMode = "multimodal"
)

// TransportModes lists the modes for forms.
var TransportModes = []TransportMode{ModeRoad, ModeRail, ModeAir, ModeSea, ModeMultimodal}

// Incoterms 2020, the only terms a declaration may name: the valuation
// adjustments customs makes depend on which costs the price includes.
var Incoterms = []string{"EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF"}

// DocumentKind is the type of an attached document (WCO AdditionalDocument/
// TypeCode, spelled as words).
type DocumentKind string

// Document kinds. The two certificates are what quarantine requires.
const (
	DocCommercialInvoice DocumentKind = "commercial_invoice"
	DocPackingList       DocumentKind = "packing_list"
	DocCertOfOrigin      DocumentKind = "certificate_of_origin"
	DocPhytosanitary     DocumentKind = "phytosanitary_certificate"
	DocVeterinary        DocumentKind = "veterinary_certificate"
	DocOther             DocumentKind = "other"
)

// DocumentKinds lists the kinds for forms.
var DocumentKinds = []DocumentKind{DocCommercialInvoice, DocPackingList, DocCertOfOrigin, DocPhytosanitary, DocVeterinary, DocOther}

// Media types a document may have. Customs systems archive documents for
// years; these four are the ones every archive can still render.
var MediaTypes = []string{"application/pdf", "image/png", "image/jpeg", "application/xml"}

// MaxDocumentSize bounds one attachment (10 MiB): a scanned invoice fits,
// a video does not.
const MaxDocumentSize = 10 << 20

// Party is one of the traders a declaration names. A party known to the
// platform carries its org id; one that is not (a foreign buyer) is named.
//
// JSON names follow the WCO Data Model party classes: Name, ID (the
// registration number, e.g. a BIN or EORI) and Address/CountryCode.
type Party struct {
	OrgID       string `json:"org_id,omitempty"`
	Name        string `json:"name,omitempty"`
	ID          string `json:"id,omitempty"`
	CountryCode string `json:"country_code,omitempty"`
}

// IsZero reports an absent party (the carrier is optional).
func (p Party) IsZero() bool { return p == Party{} }

// Transport says how and where the goods cross the border.
//
// WCO names: mode_code is BorderTransportMeans/ModeCode,
// border_transport_means_id is BorderTransportMeans/ID (truck plate, train,
// flight or vessel), transport_equipment_ids are TransportEquipment/ID
// (ISO 6346 container numbers). The WCO Data Model has no element for the
// corridor, and names the crossing point by customs office; the platform
// uses the UN/LOCODE of the border post, which every carrier knows.
type Transport struct {
	ModeCode               TransportMode `json:"mode_code"`
	Corridor               string        `json:"corridor,omitempty"`
	BorderTransportMeansID string        `json:"border_transport_means_id,omitempty"`
	TransportEquipmentIDs  []string      `json:"transport_equipment_ids,omitempty"`
	BorderPost             string        `json:"border_post"`
}

// Item is one goods item (WCO GovernmentAgencyGoodsItem).
//
// WCO names: sequence_numeric (SequenceNumeric), description
// (Commodity/Description), classification_id (Commodity/Classification/ID:
// HS 2022 subheading plus up to four national digits),
// origin_country_code (Origin/CountryCode), tariff_quantity and its
// tariff_quantity_unit_code (GoodsMeasure/TariffQuantity with unitCode, a
// UN/ECE Recommendation 20 code), net_net_weight_measure and
// gross_mass_measure (GoodsMeasure/NetNetWeightMeasure and GrossMassMeasure,
// always in grams here so that masses are exact integers),
// customs_value_amount with customs_value_currency_id (CustomsValueAmount
// and its currencyID, in the currency's minor units).
type Item struct {
	SequenceNumeric        int    `json:"sequence_numeric"`
	Description            string `json:"description"`
	ClassificationID       string `json:"classification_id"`
	OriginCountryCode      string `json:"origin_country_code"`
	TariffQuantity         int64  `json:"tariff_quantity"`
	TariffQuantityUnitCode string `json:"tariff_quantity_unit_code"`
	NetNetWeightMeasure    int64  `json:"net_net_weight_measure"`
	GrossMassMeasure       int64  `json:"gross_mass_measure"`
	CustomsValueAmount     int64  `json:"customs_value_amount"`
	CustomsValueCurrencyID string `json:"customs_value_currency_id"`
}

// Content is what the trader declares: everything in a declaration that the
// trader writes and may amend until customs assesses it.
//
// WCO names: functional_reference_id is Declaration/FunctionalReferenceID
// (the trader's own reference, the LRN); exporter, importer, declarant and
// carrier are the WCO party classes; trade_terms_condition_code is
// TradeTerms/ConditionCode (the Incoterm 2020); goods_items are the
// GovernmentAgencyGoodsItem list. procedure, transport and
// arrival_expected_at are explained on their types and in the package
// documentation.
type Content struct {
	FunctionalReferenceID   string    `json:"functional_reference_id,omitempty"`
	Procedure               Procedure `json:"procedure"`
	Exporter                Party     `json:"exporter"`
	Importer                Party     `json:"importer"`
	Declarant               Party     `json:"declarant"`
	Carrier                 Party     `json:"carrier,omitzero"`
	TradeTermsConditionCode string    `json:"trade_terms_condition_code,omitempty"`
	Transport               Transport `json:"transport"`
	// ArrivalExpectedAt allows pre-lodgement: a declaration submitted before
	// the goods arrive waits in StatusSubmitted, amendable, until the goods
	// are presented, and is assessed then.
	ArrivalExpectedAt time.Time `json:"arrival_expected_at,omitzero"`
	Items             []Item    `json:"goods_items"`
}

// Declaration is one goods declaration with everything customs and
// quarantine have decided about it. The store keeps it whole, so reading one
// needs no joins.
type Declaration struct {
	ID           string `json:"id"`
	Version      int64  `json:"version"`
	DeclarantOrg string `json:"declarant_org"`
	Status       Status `json:"status"`
	Lane         Lane   `json:"lane,omitempty"`

	Content

	Assessment  *Assessment  `json:"assessment,omitempty"`
	SPS         SPSState     `json:"sps,omitzero"`
	RiskReasons []RiskReason `json:"risk_reasons,omitempty"`
	Documents   []Document   `json:"documents,omitempty"`
	Payment     *Payment     `json:"payment,omitempty"`
	Guarantee   *Guarantee   `json:"guarantee,omitempty"`
	Refusal     *Refusal     `json:"refusal,omitempty"`
	// RefundDue is set when a declaration is cancelled or refused after its
	// duties were paid: the ledger owes the money back. It is cleared when
	// the refund is recorded (Refund).
	RefundDue bool `json:"refund_due,omitempty"`
	// Refund records the duties paid back through the ledger.
	Refund *Refund `json:"refund,omitempty"`
	// EventCount numbers the status history; the next event is EventCount+1.
	EventCount int64 `json:"event_count"`

	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	SubmittedAt    time.Time `json:"submitted_at,omitzero"`
	AssessedAt     time.Time `json:"assessed_at,omitzero"`
	LaneAssignedAt time.Time `json:"lane_assigned_at,omitzero"`
	ReleasedAt     time.Time `json:"released_at,omitzero"`
	RefusedAt      time.Time `json:"refused_at,omitzero"`
	CancelledAt    time.Time `json:"cancelled_at,omitzero"`
}

// Paid reports whether release is financially covered: duties paid, drawn
// from a bank guarantee in the ledger, or nothing to pay. A guarantee
// counts only with the ledger transfer of its draw: a reference alone
// (what declarants could once type in) covers nothing.
func (d *Declaration) Paid() bool {
	if d.Payment != nil || d.Guarantee.Drawn() {
		return true
	}
	return d.Assessment != nil && d.Assessment.TotalKZT == 0
}

// ReleasesAutomatically reports an assessed declaration on a lane that
// needs no officer's decision (green or blue): it is released by the
// platform as soon as it is Releasable, without an officer.
func (d *Declaration) ReleasesAutomatically() bool {
	return d.Status == StatusAssessed && (d.Lane == LaneGreen || d.Lane == LaneBlue)
}

// Releasable reports that nothing but the lane's checks stands between
// the goods and release: duties paid or guaranteed (or none due), and
// quarantine clear. releaseBlockers says what is missing otherwise.
func (d *Declaration) Releasable() bool { return d.Paid() && d.SPS.Status.Clear() }

// PreLodged reports a submitted declaration whose goods have not arrived.
func (d *Declaration) PreLodged() bool { return d.Status == StatusSubmitted }

// Assessment is the duties and taxes of a declaration in KZT minor units
// (tiyn), computed once at assessment from the tariff in force.
type Assessment struct {
	// ValuationDate is the declaration's registration date, whose exchange
	// rates value the goods.
	ValuationDate time.Time        `json:"valuation_date"`
	Lines         []AssessmentLine `json:"lines"`
	Rates         []RateUsed       `json:"rates,omitempty"`
	DutyKZT       int64            `json:"duty_kzt"`
	VATKZT        int64            `json:"vat_kzt"`
	FeeKZT        int64            `json:"fee_kzt"`
	TotalKZT      int64            `json:"total_kzt"`
	VATBps        int64            `json:"vat_bps"`
}

// AssessmentLine is one goods item's customs value and what it owes.
type AssessmentLine struct {
	SequenceNumeric  int    `json:"sequence_numeric"`
	ClassificationID string `json:"classification_id"`
	// TariffPrefix is the tariff row that applied (longest prefix), "*" for
	// the default row.
	TariffPrefix string `json:"tariff_prefix"`
	// Preference names a preferential treatment ("EAEU") that zeroed the duty.
	Preference string `json:"preference,omitempty"`
	ValueKZT   int64  `json:"value_kzt"`
	// Basis says which duty component applied: "ad_valorem", "specific_kg",
	// "specific_unit", "sum", "none", or "preference".
	Basis   string `json:"basis"`
	DutyKZT int64  `json:"duty_kzt"`
	VATKZT  int64  `json:"vat_kzt"`
}

// RateUsed records the exchange rate a currency was valued at, so that an
// assessment can be re-checked later against the published rates.
type RateUsed struct {
	Currency string     `json:"currency"`
	Rate     money.Rate `json:"rate"` // KZT per one unit of Currency
	Date     time.Time  `json:"date"`
}

// SPSState is what quarantine requires of a declaration and where it stands.
type SPSState struct {
	Required           bool           `json:"required"`
	Certificates       []DocumentKind `json:"certificates,omitempty"`
	InspectionRequired bool           `json:"inspection_required"`
	Status             SPSStatus      `json:"status"`
	// Inspected is set by a passing inspection (laboratory included); a hold
	// lifted on goods that still need a passing inspection goes back to
	// awaiting_inspection.
	Inspected  bool      `json:"inspected,omitempty"`
	LabPending bool      `json:"lab_pending,omitempty"`
	Items      []SPSItem `json:"items,omitempty"`
}

// SPSItem explains why one goods item is under SPS control.
type SPSItem struct {
	SequenceNumeric int          `json:"sequence_numeric"`
	RulePrefix      string       `json:"rule_prefix"`
	Description     string       `json:"description"`
	Certificate     DocumentKind `json:"certificate,omitempty"`
	Inspection      Inspect      `json:"inspection"`
}

// RiskReason is one finding of the risk engine (or an officer's decision)
// that moved the lane, kept so that every lane can be explained.
type RiskReason struct {
	Seq         int64     `json:"seq"`
	RuleID      string    `json:"rule_id"`
	Description string    `json:"description"` // English
	Weight      int64     `json:"weight"`
	At          time.Time `json:"at"`
	ActorUser   string    `json:"actor_user,omitempty"` // "" for the engine
	// Params are the finding's figures, so that a page can say it in the
	// reader's language from RuleID; nil on findings recorded before they
	// existed (those show Description).
	Params *FindingParams `json:"params,omitempty"`
}

// FindingParams are the typed figures of a risk finding; which are set
// depends on the rule. Amounts are KZT minor units per kilogram of net mass.
type FindingParams struct {
	Item        int    `json:"item,omitempty"`           // goods item sequence number
	PerKgKZT    int64  `json:"per_kg_kzt,omitempty"`     // declared value per kg
	RefPerKgKZT int64  `json:"ref_per_kg_kzt,omitempty"` // reference value per kg
	RatioPct    int64  `json:"ratio_pct,omitempty"`      // declared as a share of the reference
	RefPrefix   string `json:"ref_prefix,omitempty"`     // the reference price's classification prefix
	Refusals    int    `json:"refusals,omitempty"`
	Origin      string `json:"origin,omitempty"`   // ISO 3166 alpha-2
	Exporter    string `json:"exporter,omitempty"` // the exporter's country, alpha-2
	Note        string `json:"note,omitempty"`     // an officer's words, shown as typed
	// Deferred says an AEO's yellow-level findings went to post-clearance
	// audit instead of a documentary check.
	Deferred bool `json:"deferred,omitempty"`
}

// Document is an attachment's metadata. The bytes are stored apart and read
// with Service.Document.
type Document struct {
	ID        string       `json:"id"`
	Kind      DocumentKind `json:"kind"`
	Reference string       `json:"reference,omitempty"` // the document's own number (AdditionalDocument/ID)
	Filename  string       `json:"filename"`
	MediaType string       `json:"media_type"`
	Size      int64        `json:"size"`
	SHA256    string       `json:"sha256"` // hex, computed by the service from the bytes
	At        time.Time    `json:"uploaded_at"`
	By        string       `json:"uploaded_by"`
}

// Payment records duties paid through the ledger.
type Payment struct {
	Reference     string    `json:"reference"`
	AmountKZT     int64     `json:"amount_kzt"`
	FromAccountID string    `json:"from_account_id"`
	At            time.Time `json:"at"`
	By            string    `json:"by"`
}

// Guarantee records duties drawn from a bank guarantee instead of paid by
// the declarant: the bank's reserved money moved to the revenue account in
// the ledger transfer DrawTransferID.
type Guarantee struct {
	GuaranteeID    string    `json:"guarantee_id,omitempty"`
	Reference      string    `json:"reference"` // the bank's number of the guarantee
	AmountKZT      int64     `json:"amount_kzt"`
	DrawTransferID string    `json:"draw_transfer_id,omitempty"`
	At             time.Time `json:"at"`
	By             string    `json:"by"`
}

// Drawn reports whether the guarantee's draw happened in the ledger.
func (g *Guarantee) Drawn() bool { return g != nil && g.GuaranteeID != "" && g.DrawTransferID != "" }

// Authority names who did something to a declaration.
type Authority string

// Authorities.
const (
	ByDeclarant  Authority = "declarant"
	ByCustoms    Authority = "customs"
	ByQuarantine Authority = "quarantine"
	BySystem     Authority = "system"
)

// Refusal records which authority refused the goods and why.
type Refusal struct {
	By        Authority `json:"by"`
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
	ActorUser string    `json:"actor_user"`
}

// Event is one step of a declaration's status history.
type Event struct {
	DeclarationID string    `json:"declaration_id"`
	Seq           int64     `json:"seq"`
	At            time.Time `json:"at"`
	ActorUser     string    `json:"actor_user"`
	ActorOrg      string    `json:"actor_org"`
	Action        Action    `json:"action"`
	From          Status    `json:"from"`
	To            Status    `json:"to"`
	// Kind and Params say what happened in a form any language can render
	// (see EventKind); Detail is the same in English. Events stored before
	// kinds existed have only Detail: use Structured to read any event.
	Kind   EventKind    `json:"kind,omitempty"`
	Params *EventParams `json:"params,omitempty"`
	Detail string       `json:"detail,omitempty"`
}

// FieldChange is one changed field of an amendment, by its JSON path.
type FieldChange struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Amendment is one version of a declaration's content replaced by the next.
type Amendment struct {
	DeclarationID string        `json:"declaration_id"`
	Version       int64         `json:"version"` // the version the amendment produced
	At            time.Time     `json:"at"`
	ActorUser     string        `json:"actor_user"`
	ActorOrg      string        `json:"actor_org"`
	Note          string        `json:"note,omitempty"`
	Summary       string        `json:"summary"`
	Changes       []FieldChange `json:"changes"`
	Before        Content       `json:"before"`
}

// InspectionResult is the outcome of a quarantine inspection on the spot.
type InspectionResult string

// Inspection results.
const (
	InspectionPass InspectionResult = "pass"
	InspectionFail InspectionResult = "fail"
)

// LabOutcome is the laboratory's verdict on samples taken.
type LabOutcome string

// Laboratory outcomes; LabNone when no samples were taken.
const (
	LabNone    LabOutcome = ""
	LabPending LabOutcome = "pending"
	LabPass    LabOutcome = "pass"
	LabFail    LabOutcome = "fail"
)

// Inspection is a quarantine inspection record.
type Inspection struct {
	ID            string           `json:"id"`
	DeclarationID string           `json:"declaration_id"`
	At            time.Time        `json:"at"`
	InspectorUser string           `json:"inspector_user"`
	InspectorOrg  string           `json:"inspector_org"`
	Result        InspectionResult `json:"result"`
	SamplesTaken  bool             `json:"samples_taken"`
	LabOutcome    LabOutcome       `json:"lab_outcome,omitempty"`
	Notes         string           `json:"notes,omitempty"`
}

// Summary is a declaration as lists show it, read from indexed columns only.
type Summary struct {
	ID                    string    `json:"id"`
	Version               int64     `json:"version"`
	DeclarantOrg          string    `json:"declarant_org"`
	FunctionalReferenceID string    `json:"functional_reference_id,omitempty"`
	Procedure             Procedure `json:"procedure"`
	Status                Status    `json:"status"`
	Lane                  Lane      `json:"lane,omitempty"`
	BorderPost            string    `json:"border_post"`
	SPSRequired           bool      `json:"sps_required"`
	SPSStatus             SPSStatus `json:"sps_status,omitempty"`
	TotalKZT              int64     `json:"total_kzt"`
	CreatedAt             time.Time `json:"created_at"`
	UpdatedAt             time.Time `json:"updated_at"`
	SubmittedAt           time.Time `json:"submitted_at,omitzero"`
	ReleasedAt            time.Time `json:"released_at,omitzero"`
}

// TraderProfile is what the risk engine knows about a declarant.
type TraderProfile struct {
	OrgID string `json:"org_id"`
	// AEO is authorised-economic-operator (trusted trader) status.
	AEO bool `json:"aeo"`
	// Refusals counts the org's declarations refused in the look-back window.
	Refusals int `json:"refusals"`
}

// TrustedTrader is an AEO grant or withdrawal by customs.
type TrustedTrader struct {
	OrgID     string    `json:"org_id"`
	AEO       bool      `json:"aeo"`
	Note      string    `json:"note,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

// LaneStat is one lane's line on the dashboard.
type LaneStat struct {
	Lane     Lane  `json:"lane"`
	Count    int64 `json:"count"`
	ShareBps int64 `json:"share_bps"` // of all declarations assigned a lane in the period
	Released int64 `json:"released"`
	// AvgTimeToRelease runs from lane assignment (goods presented and
	// assessed) to release, over the released ones; pre-lodgement waiting is
	// the trader's time, not customs'.
	AvgTimeToRelease time.Duration `json:"avg_time_to_release"`
}

// LaneStats is the lane dashboard for a period.
type LaneStats struct {
	From  time.Time  `json:"from"`
	To    time.Time  `json:"to"`
	Total int64      `json:"total"`
	Lanes []LaneStat `json:"lanes"` // every lane of Lanes, in that order
}

// Package education is the education zone (issue 12): the partner
// universities and joint programmes an education provider publishes, its
// vocational courses for emerging industries with enrolment capacity and a
// waiting list, certificates for completed courses that anyone can verify
// by their code, and student exchange applications approved first by the
// home institution, then by the host.
//
// It is built on the booking engine, never beside it: a course is one
// booking resource of its provider whose capacity is the enrolment
// capacity and whose only open slot is the course's first day, so the
// engine's serializable capacity check is what keeps a course from being
// oversold, its paid hold and confirmation are the fee (the student's own
// wallet to the provider's account, through the ledger), its idempotency
// key makes a retried enrolment the same enrolment, its refund policy is
// the withdrawal's, and its waiting list offers a freed seat to the first
// student waiting for a limited time. What this package adds is the
// catalogue, the enrolment's course life (enrolled, completed, withdrawn),
// the certificate and the exchange workflow.
package education

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"bricstown/internal/problem"
)

// Languages are the catalogue's five; a programme's title may be given in
// each of them (English is required).
var Languages = []string{"en", "ru", "zh", "kk", "pt"}

// Degrees a joint programme leads to.
var Degrees = []string{"bachelor", "master", "doctorate", "diploma"}

// Industries are the emerging industries vocational courses train for.
var Industries = []string{"renewable_energy", "green_hydrogen", "electric_vehicles", "ecommerce_logistics", "digital_trade", "ai_data", "agritech", "advanced_manufacturing"}

// Limits.
const (
	MaxCapacity      = 10_000
	MaxFeeKZT        = 100_000_000_00 // 100 million KZT, in tiyn
	MaxRefundDays    = 30
	MaxDurationMonth = 96
	MaxPartners      = 20
	MaxCourseDays    = 2 * 366
	// OfferMinutes is how long a seat freed by a withdrawal is offered to
	// the first student waiting (the engine's hold time of the course).
	OfferMinutes = 24 * 60
)

// iso639 are the ISO 639-1 language codes a programme or course may be
// taught in.
const iso639 = "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el en eo es et eu " +
	"fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv " +
	"kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru " +
	"rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"

// ValidLanguage reports whether code is an ISO 639-1 language code.
func ValidLanguage(code string) bool {
	return len(code) == 2 && slices.Contains(strings.Fields(iso639), code)
}

// Partner is a partner university of a provider.
type Partner struct {
	ID      string `json:"id"`
	OrgID   string `json:"org_id"`
	Name    string `json:"name"`
	Country string `json:"country"`
	City    string `json:"city"`
	// Institution is the partner's own organisation on the platform, when
	// it has one (it then decides exchanges as a host or home).
	Institution string    `json:"institution_org,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Programme is a joint programme of a provider with partner universities.
type Programme struct {
	ID             string            `json:"id"`
	OrgID          string            `json:"org_id"`
	Titles         map[string]string `json:"titles"`
	Languages      []string          `json:"languages"` // of instruction, ISO 639-1
	Degree         string            `json:"degree"`
	DurationMonths int               `json:"duration_months"`
	Partners       []string          `json:"partner_ids"`
	CreatedAt      time.Time         `json:"created_at"`
}

// Title is the programme's title in lang, English when missing.
func (p *Programme) Title(lang string) string {
	if t := p.Titles[lang]; t != "" {
		return t
	}
	return p.Titles["en"]
}

// Course is a vocational course; its seats are a booking resource.
type Course struct {
	ID         string    `json:"id"`
	OrgID      string    `json:"org_id"`
	Title      string    `json:"title"`
	Industry   string    `json:"industry"`
	Language   string    `json:"language"`
	StartDate  string    `json:"start_date"` // YYYY-MM-DD, Asia/Almaty
	EndDate    string    `json:"end_date"`
	Capacity   int       `json:"capacity"`
	FeeKZT     int64     `json:"fee_kzt"` // tiyn; 0: free
	Account    string    `json:"account_id,omitempty"`
	RefundDays int       `json:"refund_days"`
	ResourceID string    `json:"resource_id"`
	CreatedAt  time.Time `json:"created_at"`
	// Enrolled is the seats taken by enrolments (filled when listed).
	Enrolled int `json:"enrolled"`
}

// Enrolment statuses.
type Status string

const (
	Enrolled  Status = "enrolled"
	Completed Status = "completed"
	Withdrawn Status = "withdrawn"
)

// Enrolment is a student's seat on a course: one confirmed booking.
type Enrolment struct {
	ID          string    `json:"id"`
	CourseID    string    `json:"course_id"`
	OrgID       string    `json:"org_id"` // the provider
	BookingID   string    `json:"booking_id"`
	StudentOrg  string    `json:"student_org"`
	StudentUser string    `json:"student_user"`
	Party       string    `json:"-"`
	StudentName string    `json:"student_name"`
	Status      Status    `json:"status"`
	CompletedAt time.Time `json:"completed_at,omitzero"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// Filled for display.
	FeeKZT    int64 `json:"fee_kzt"`
	RefundKZT int64 `json:"refund_kzt"`
}

// Certificate attests a completed course; anyone verifies it by its code.
type Certificate struct {
	ID          string    `json:"id"`
	Code        string    `json:"code"`
	EnrolmentID string    `json:"enrolment_id"`
	CourseID    string    `json:"course_id"`
	OrgID       string    `json:"org_id"`
	Party       string    `json:"-"`
	HolderName  string    `json:"holder_name"`
	CourseTitle string    `json:"course_title"`
	CompletedAt time.Time `json:"completed_at"`
	IssuedAt    time.Time `json:"issued_at"`
	IssuedBy    string    `json:"-"`
}

// Exchange statuses: submitted → home_approved → accepted, or rejected at
// either step, or withdrawn by the student before the end.
type ExchangeStatus string

const (
	Submitted    ExchangeStatus = "submitted"
	HomeApproved ExchangeStatus = "home_approved"
	Accepted     ExchangeStatus = "accepted"
	Rejected     ExchangeStatus = "rejected"
	ExWithdrawn  ExchangeStatus = "withdrawn"
)

// Steps of the exchange workflow: each is one institution's.
const (
	StepHome = "home"
	StepHost = "host"
)

// Exchange is a student's application to study a term at a host
// institution.
type Exchange struct {
	ID            string         `json:"id"`
	StudentOrg    string         `json:"student_org"`
	StudentUser   string         `json:"student_user"`
	Party         string         `json:"-"`
	StudentName   string         `json:"student_name"`
	HomeOrg       string         `json:"home_org"`
	HostOrg       string         `json:"host_org"`
	ProgrammeID   string         `json:"programme_id,omitempty"`
	Term          string         `json:"term"`
	Statement     string         `json:"statement"`
	Status        ExchangeStatus `json:"status"`
	RejectedBy    string         `json:"rejected_by,omitempty"` // home or host
	Reason        string         `json:"reason,omitempty"`
	HomeDecidedAt time.Time      `json:"home_decided_at,omitzero"`
	HostDecidedAt time.Time      `json:"host_decided_at,omitzero"`
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
}

func checkText(f problem.Fields, field, s string, max int, required bool) string {
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case n == 0 && required:
		f.Add(field, "required")
	case n > max:
		f.Addf(field, "at most %d characters", max)
	case strings.ContainsFunc(s, func(c rune) bool { return c < 0x20 || c == 0x7f }):
		f.Add(field, "must not contain control characters")
	}
	return s
}

const msgLanguage = "must be an ISO 639-1 language code such as ru or zh"

// PartnerInput is what a provider fills in for a partner university.
type PartnerInput struct {
	Name        string `json:"name"`
	Country     string `json:"country"`
	City        string `json:"city"`
	Institution string `json:"institution_org"`
}

func (in *PartnerInput) check(f problem.Fields, country func(string) bool) {
	in.Name = checkText(f, "name", in.Name, 160, true)
	in.City = checkText(f, "city", in.City, 80, true)
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	switch {
	case in.Country == "":
		f.Add("country", "required: ISO 3166 country code")
	case len(in.Country) != 2 || country != nil && !country(in.Country):
		f.Addf("country", "unknown ISO 3166 country %q", in.Country)
	}
	in.Institution = strings.TrimSpace(in.Institution)
}

// ProgrammeInput is a joint programme as its provider fills it in.
type ProgrammeInput struct {
	Titles         map[string]string `json:"titles"`
	Languages      []string          `json:"languages"`
	Degree         string            `json:"degree"`
	DurationMonths int               `json:"duration_months"`
	Partners       []string          `json:"partner_ids"`
}

func (in *ProgrammeInput) check(f problem.Fields) {
	titles := map[string]string{}
	for l, t := range in.Titles {
		if !slices.Contains(Languages, l) {
			f.Add("titles."+l, "must be one of en, ru, zh, kk, pt")
			continue
		}
		if t = checkText(f, "titles."+l, t, 200, l == "en"); t != "" {
			titles[l] = t
		}
	}
	if titles["en"] == "" {
		f.Add("titles.en", "required")
	}
	in.Titles = titles
	var langs []string
	for i, l := range in.Languages {
		l = strings.ToLower(strings.TrimSpace(l))
		if !ValidLanguage(l) {
			f.Add(fmt.Sprintf("languages[%d]", i), msgLanguage)
			continue
		}
		if !slices.Contains(langs, l) {
			langs = append(langs, l)
		}
	}
	if len(in.Languages) == 0 {
		f.Add("languages", "required")
	}
	if len(in.Languages) > 5 {
		f.Addf("languages", "at most %d languages", 5)
	}
	in.Languages = langs
	in.Degree = strings.TrimSpace(in.Degree)
	if !slices.Contains(Degrees, in.Degree) {
		f.Addf("degree", "must be one of %s", strings.Join(Degrees, ", "))
	}
	if in.DurationMonths < 1 || in.DurationMonths > MaxDurationMonth {
		f.Addf("duration_months", "must be a whole number from %d to %d", 1, MaxDurationMonth)
	}
	switch n := len(in.Partners); {
	case n == 0:
		f.Add("partner_ids", "required")
	case n > MaxPartners:
		f.Addf("partner_ids", "at most %d partners", MaxPartners)
	}
}

// CourseInput is a vocational course as its provider fills it in. Dates
// are local (Asia/Almaty) YYYY-MM-DD; the fee is in tiyn.
type CourseInput struct {
	Title      string `json:"title"`
	Industry   string `json:"industry"`
	Language   string `json:"language"`
	StartDate  string `json:"start_date"`
	EndDate    string `json:"end_date"`
	Capacity   int    `json:"capacity"`
	FeeKZT     int64  `json:"fee_kzt"`
	AccountID  string `json:"account_id"`
	RefundDays int    `json:"refund_days"`
}

// check validates in; start is the first day's midnight in loc.
func (in *CourseInput) check(f problem.Fields, loc *time.Location, now time.Time) time.Time {
	in.Title = checkText(f, "title", in.Title, 160, true)
	in.Industry = strings.TrimSpace(in.Industry)
	if !slices.Contains(Industries, in.Industry) {
		f.Addf("industry", "must be one of %s", strings.Join(Industries, ", "))
	}
	in.Language = strings.ToLower(strings.TrimSpace(in.Language))
	if !ValidLanguage(in.Language) {
		f.Add("language", msgLanguage)
	}
	in.StartDate, in.EndDate = strings.TrimSpace(in.StartDate), strings.TrimSpace(in.EndDate)
	start, err1 := time.ParseInLocation(time.DateOnly, in.StartDate, loc)
	end, err2 := time.ParseInLocation(time.DateOnly, in.EndDate, loc)
	if err1 != nil {
		f.Add("start_date", "must be a date written YYYY-MM-DD")
	}
	if err2 != nil {
		f.Add("end_date", "must be a date written YYYY-MM-DD")
	}
	today := now.In(loc)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	if err1 == nil {
		switch {
		case !start.After(today):
			f.Add("start_date", "is in the past")
		case start.After(today.AddDate(0, 0, 365)):
			f.Addf("start_date", "at most %d days ahead", 365)
		}
	}
	if err1 == nil && err2 == nil {
		switch {
		case end.Before(start):
			f.Add("end_date", "must not be before the start date")
		case end.After(start.AddDate(0, 0, MaxCourseDays)):
			f.Addf("end_date", "at most %d days after the start", MaxCourseDays)
		}
	}
	if in.Capacity < 1 || in.Capacity > MaxCapacity {
		f.Addf("capacity", "must be a whole number from %d to %d", 1, MaxCapacity)
	}
	if in.FeeKZT < 0 || in.FeeKZT > MaxFeeKZT {
		f.Addf("fee_kzt", "must be a whole number from %d to %d", 0, MaxFeeKZT)
	}
	if in.RefundDays < 0 || in.RefundDays > MaxRefundDays {
		f.Addf("refund_days", "must be a whole number from %d to %d", 0, MaxRefundDays)
	}
	return start
}

var reTerm = regexp.MustCompile(`^(\d{4})-(spring|autumn)$`)

// ExchangeInput is a student's application.
type ExchangeInput struct {
	HomeOrg     string `json:"home_org"`
	HostOrg     string `json:"host_org"`
	ProgrammeID string `json:"programme_id"`
	Term        string `json:"term"` // e.g. 2027-autumn
	Statement   string `json:"statement"`
}

func (in *ExchangeInput) check(f problem.Fields, now time.Time) {
	in.HomeOrg, in.HostOrg, in.ProgrammeID = strings.TrimSpace(in.HomeOrg), strings.TrimSpace(in.HostOrg), strings.TrimSpace(in.ProgrammeID)
	if in.HomeOrg == "" {
		f.Add("home_org", "required")
	}
	if in.HostOrg == "" {
		f.Add("host_org", "required")
	} else if in.HostOrg == in.HomeOrg {
		f.Add("host_org", "must differ from the home institution")
	}
	in.Term = strings.ToLower(strings.TrimSpace(in.Term))
	m := reTerm.FindStringSubmatch(in.Term)
	year := 0
	if m != nil {
		fmt.Sscan(m[1], &year)
	}
	if m == nil || year < now.Year() || year > now.Year()+3 {
		f.Add("term", "must be a term such as 2027-autumn or 2028-spring within three years")
	}
	in.Statement = checkText(f, "statement", in.Statement, 2000, false)
}

// DecisionInput is one institution's decision on its step.
type DecisionInput struct {
	Step    string `json:"step"` // home or host
	Approve bool   `json:"approve"`
	Reason  string `json:"reason"`
}

// NewCode is a certificate's verification code: 80 random bits in base32,
// grouped for reading aloud (EDU-XXXX-XXXX-XXXX-XXXX).
func NewCode() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	s := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
	return "EDU-" + s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// NormalCode reads a code as typed: upper case, spaces dropped, the
// dashes put back where they belong.
func NormalCode(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "EDU")
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, s)
	if len(s) != 16 {
		return ""
	}
	return "EDU-" + s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

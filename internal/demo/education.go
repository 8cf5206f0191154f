package demo

import (
	"context"
	"fmt"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/booking"
	"bricstown/internal/education"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"
)

// eduProvider is the demo town's university provider (in Town).
const eduProvider = "International Education Park"

// EduHost is the partner university that has its own place on the
// platform and decides exchanges as a host; SeedEducation registers it.
var EduHost = OrgSpec{"Ili Valley University", identity.KindSchool, "CN", "12654000MB0A12345", "ilivalley.edu.cn", []UserSpec{
	{"registrar", "Ma Lin", []identity.Role{identity.Educator, identity.OrgAdmin}, "zh"}}}

// eduStudents are residents who study in the education zone (the town's
// first resident, Maria Santos, is one of them too).
var eduStudents = []UserSpec{
	{"aruzhan", "Aruzhan Kairatova", []identity.Role{identity.Resident}, "kk"},
	{"chen.jie", "Chen Jie", []identity.Role{identity.Resident}, "zh"},
}

// SeedEducation puts the education zone in the demo town: the education
// park with two partner universities (one of them on the platform), a
// joint master's programme taught in Russian and Chinese, two vocational
// courses (solar plant maintenance, paid; cross-border e-commerce
// logistics, free), three students enrolled on the second, one of them
// completed with a certificate, and an exchange application approved by
// the home institution and awaiting the host. It is idempotent: a provider
// with its solar course is left as it is.
func SeedEducation(ctx context.Context, ids *identity.Service, led *ledger.Service, es *education.Service, now time.Time) error {
	orgs := map[string]identity.Org{}
	list, err := ids.Orgs(ctx, identity.Page{Limit: 1000})
	if err != nil {
		return err
	}
	for _, o := range list {
		orgs[o.Name] = o
	}
	park, ok := orgs[eduProvider]
	res, ok2 := orgs["Town Residents"]
	if !ok || !ok2 {
		return fmt.Errorf("demo: run Seed first")
	}
	host, ok := orgs[EduHost.Name]
	if !ok {
		reg, err := RegID(EduHost)
		if err != nil {
			return err
		}
		if host, err = ids.CreateOrg(ctx, nil, identity.NewOrg{Name: EduHost.Name, Kind: EduHost.Kind, Country: EduHost.Country, RegID: reg}); err != nil {
			return fmt.Errorf("demo: %s: %w", EduHost.Name, err)
		}
	}
	ensureUser := func(org identity.Org, domain string, u UserSpec) error {
		email := u.Local + "@" + domain
		if _, err := ids.UserByEmail(ctx, email); err == nil {
			return nil
		} else if !problem.Is(err, problem.NotFound) {
			return err
		}
		_, err := ids.CreateUser(ctx, nil, org.ID, identity.NewUser{Email: email, Name: u.Name, Password: Password, Roles: u.Roles, Lang: u.Lang})
		return err
	}
	for _, u := range EduHost.Users {
		if err := ensureUser(host, EduHost.Domain, u); err != nil {
			return err
		}
	}
	for _, u := range eduStudents {
		if err := ensureUser(res, "residents.town.kz", u); err != nil {
			return err
		}
	}
	dean, err := demoPrincipal(ctx, ids, park, identity.Educator)
	if err != nil {
		return err
	}
	dean.Roles = []identity.Role{identity.Educator, identity.OrgAdmin}
	have, err := es.Courses(ctx, dean, park.ID)
	if err != nil {
		return err
	}
	for _, c := range have {
		if c.Title == "Solar plant maintenance" {
			return nil
		}
	}
	acc := ledger.Account{ID: demoID("account", park.Name, "KZT", "course-fees"), OrgID: park.ID, Currency: "KZT", Kind: ledger.Liability,
		Code: "course-fees", Name: "Course fees (KZT)", Flags: ledger.DebitsMustNotExceedCredits, CreatedAt: now}
	if _, err := led.AccountByID(ctx, acc.ID); problem.Is(err, problem.NotFound) {
		if err := led.OpenAccounts(ctx, []ledger.Account{acc}, audit.Record{ActorUser: "system", Action: "ledger.account.create", Detail: "demo town: course fees"}); err != nil {
			return fmt.Errorf("demo: course fees account: %w", err)
		}
	} else if err != nil {
		return err
	}
	siberian, err := es.AddPartner(ctx, dean, education.PartnerInput{Name: "Siberian Technical University", Country: "RU", City: "Novosibirsk"})
	if err != nil {
		return fmt.Errorf("demo: partner: %w", err)
	}
	ili, err := es.AddPartner(ctx, dean, education.PartnerInput{Name: EduHost.Name, Country: "CN", City: "Yining", Institution: host.ID})
	if err != nil {
		return fmt.Errorf("demo: partner: %w", err)
	}
	prog, err := es.AddProgramme(ctx, dean, education.ProgrammeInput{Titles: map[string]string{
		"en": "Master in Eurasian Logistics and Trade", "ru": "Магистратура «Евразийская логистика и торговля»", "zh": "欧亚物流与贸易硕士项目",
		"kk": "«Еуразиялық логистика және сауда» магистратурасы", "pt": "Mestrado em Logística e Comércio Eurasiático"},
		Languages: []string{"ru", "zh"}, Degree: "master", DurationMonths: 24, Partners: []string{siberian.ID, ili.ID}})
	if err != nil {
		return fmt.Errorf("demo: programme: %w", err)
	}
	almaty, _ := booking.Location(booking.DefaultTimeZone)
	day := func(d int) string { return now.In(almaty).AddDate(0, 0, d).Format(time.DateOnly) }
	if _, err := es.AddCourse(ctx, dean, education.CourseInput{Title: "Solar plant maintenance", Industry: "renewable_energy", Language: "ru",
		StartDate: day(14), EndDate: day(14 + 55), Capacity: 20, FeeKZT: 45_000_00, AccountID: acc.ID.String(), RefundDays: 7}); err != nil {
		return fmt.Errorf("demo: solar course: %w", err)
	}
	ecom, err := es.AddCourse(ctx, dean, education.CourseInput{Title: "Cross-border e-commerce logistics", Industry: "ecommerce_logistics", Language: "zh",
		StartDate: day(7), EndDate: day(7 + 27), Capacity: 25, RefundDays: 3})
	if err != nil {
		return fmt.Errorf("demo: e-commerce course: %w", err)
	}
	students, err := ids.OrgUsers(ctx, res.ID, identity.Page{Limit: 100})
	if err != nil {
		return err
	}
	var enrolled []education.Enrolment
	var aruzhan *identity.Principal
	for _, u := range students {
		if len(enrolled) == 3 {
			break
		}
		p := &identity.Principal{UserID: u.ID, OrgID: res.ID, OrgKind: res.Kind, Name: u.Name, Roles: []identity.Role{identity.Resident}, Via: "session"}
		e, _, err := es.Enrol(ctx, p, education.EnrolInput{CourseID: ecom.ID, Key: demoID("edu-enrol", ecom.ID, u.ID).String()})
		if err != nil {
			return fmt.Errorf("demo: enrolment: %w", err)
		}
		enrolled = append(enrolled, e)
		if u.Name == "Aruzhan Kairatova" {
			aruzhan = p
		}
	}
	// The first student (Maria Santos) studied the course's material
	// before: completed on recognised prior learning, with a certificate.
	if len(enrolled) > 0 {
		if _, err := es.Complete(ctx, dean, enrolled[0].ID); err != nil {
			return fmt.Errorf("demo: completion: %w", err)
		}
		if _, _, err := es.IssueCertificate(ctx, dean, enrolled[0].ID); err != nil {
			return fmt.Errorf("demo: certificate: %w", err)
		}
	}
	if aruzhan != nil {
		x, err := es.Apply(ctx, aruzhan, education.ExchangeInput{HomeOrg: park.ID, HostOrg: host.ID, ProgrammeID: prog.ID,
			Term: fmt.Sprintf("%d-autumn", now.In(almaty).Year()+1), Statement: "A term of logistics and Chinese at Ili Valley University, to work on the Khorgos corridor."})
		if err != nil {
			return fmt.Errorf("demo: exchange: %w", err)
		}
		if _, err := es.Decide(ctx, dean, x.ID, education.DecisionInput{Step: education.StepHome, Approve: true}); err != nil {
			return fmt.Errorf("demo: exchange approval: %w", err)
		}
	}
	return nil
}

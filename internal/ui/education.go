package ui

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/booking"
	"bricstown/internal/education"
	"bricstown/internal/identity"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// The education zone's pages (issue 12): the catalogue of joint
// programmes and vocational courses (public within the platform) with the
// provider's forms, enrolment and the waiting list for residents, a
// course's enrolments for the provider's educators (completion and
// certificates), a student's enrolments and certificates, exchange
// applications with each institution's decision, and the public
// verification of a certificate by its code. Each action calls the same
// service method as the API.

func (p *Pages) eduOff(w http.ResponseWriter, r *http.Request) bool {
	if p.Education == nil {
		p.Error(w, r, http.StatusServiceUnavailable, problem.New(problem.Unavailable, "the education zone is not available"))
		return true
	}
	return false
}

type eduProgRow struct {
	ID, Title, Provider, Degree, Languages, Duration string
	Partners                                         []string
}

type eduCourseRow struct {
	ID, Title, Provider, Industry, Language, Dates, Fee, Seats string
	Full, Mine, Staff, Enrolled                                bool
}

func (p *Pages) eduLanguage(v *View, code string) string {
	if p.has("edu.lang." + code) {
		return v.T("edu.lang." + code)
	}
	return code
}

func (p *Pages) eduCourseRow(v *View, pr *identity.Principal, c education.Course, names interface{ Name(string) string }) eduCourseRow {
	fee := v.T("edu.free")
	if c.FeeKZT > 0 {
		fee = kzt(v.Lang, c.FeeKZT) + " KZT"
	}
	left := max(0, c.Capacity-c.Enrolled)
	return eduCourseRow{ID: c.ID, Title: c.Title, Provider: names.Name(c.OrgID), Industry: v.T("edu.industry." + c.Industry),
		Language: p.eduLanguage(v, c.Language), Dates: c.StartDate + " – " + c.EndDate, Fee: fee,
		Seats: v.T("edu.seats", left, c.Capacity), Full: left == 0, Staff: education.IsProviderStaff(pr) && pr.OrgID == c.OrgID}
}

// EducationPage is the catalogue: joint programmes and courses; a
// provider's administrators also get the forms to publish.
func (p *Pages) EducationPage(w http.ResponseWriter, r *http.Request) {
	if p.eduOff(w, r) {
		return
	}
	v := p.view(w, r, "edu.title", nil)
	p.renderEducation(w, r, v, http.StatusOK)
}

func (p *Pages) renderEducation(w http.ResponseWriter, r *http.Request, v *View, status int) {
	pr := identity.FromContext(r.Context())
	ctx := r.Context()
	progs, err := p.Education.Programmes(ctx, pr, "")
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	courses, err := p.Education.Courses(ctx, pr, "")
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	names := p.orgNames(r)
	partnersOf := map[string]map[string]education.Partner{}
	var progRows []eduProgRow
	for _, pg := range progs {
		if partnersOf[pg.OrgID] == nil {
			partnersOf[pg.OrgID] = map[string]education.Partner{}
			if list, err := p.Education.Partners(ctx, pr, pg.OrgID); err == nil {
				for _, pt := range list {
					partnersOf[pg.OrgID][pt.ID] = pt
				}
			}
		}
		row := eduProgRow{ID: pg.ID, Title: pg.Title(v.Lang), Provider: names.Name(pg.OrgID), Degree: v.T("edu.degree." + pg.Degree),
			Duration: v.TN("edu.months", pg.DurationMonths)}
		var langs []string
		for _, l := range pg.Languages {
			langs = append(langs, p.eduLanguage(v, l))
		}
		row.Languages = strings.Join(langs, ", ")
		for _, id := range pg.Partners {
			if pt, ok := partnersOf[pg.OrgID][id]; ok {
				row.Partners = append(row.Partners, pt.Name+" ("+pt.City+", "+p.countryName(pt.Country, v.Lang)+")")
			}
		}
		progRows = append(progRows, row)
	}
	mine := map[string]bool{}
	student := education.IsStudent(pr)
	if student {
		if list, _, err := p.Education.MyEnrolments(ctx, pr); err == nil {
			for _, e := range list {
				if e.Status != education.Withdrawn {
					mine[e.CourseID] = true
				}
			}
		}
	}
	var courseRows []eduCourseRow
	for _, c := range courses {
		row := p.eduCourseRow(v, pr, c, names)
		row.Mine = mine[c.ID]
		courseRows = append(courseRows, row)
	}
	admin := education.IsProviderAdmin(pr)
	data := map[string]any{"Programmes": progRows, "Courses": courseRows, "Student": student, "Admin": admin, "Key": uuid.Must(uuid.NewV7()).String()}
	if admin {
		partners, _ := p.Education.Partners(ctx, pr, pr.OrgID)
		var opts []optionView
		for _, pt := range partners {
			opts = append(opts, optionView{ID: pt.ID, Text: pt.Name + " (" + pt.City + ")"})
		}
		data["Partners"] = opts
		var degrees, industries []optionView
		for _, d := range education.Degrees {
			degrees = append(degrees, optionView{ID: d, Text: v.T("edu.degree." + d)})
		}
		for _, i := range education.Industries {
			industries = append(industries, optionView{ID: i, Text: v.T("edu.industry." + i)})
		}
		data["Degrees"], data["Industries"] = degrees, industries
		data["Accounts"] = p.bookingAccounts(r, pr, v.Lang, false)
		type titleInput struct {
			Lang, Name, Field string
			Required          bool
		}
		var titles []titleInput
		for _, l := range education.Languages {
			titles = append(titles, titleInput{Lang: l, Name: "title_" + l, Field: "titles." + l, Required: l == "en"})
		}
		data["TitleInputs"] = titles
		var insts []optionView
		if list, err := p.Education.Institutions(ctx, pr); err == nil {
			for _, o := range list {
				if o.ID != pr.OrgID {
					insts = append(insts, optionView{ID: o.ID, Text: o.Name})
				}
			}
		}
		data["Institutions"] = insts
	}
	v.Data = data
	p.render(w, r, status, "education", v)
}

// EducationAddPartner adds a partner university from the form.
func (p *Pages) EducationAddPartner(w http.ResponseWriter, r *http.Request) {
	if p.eduOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "edu.title", nil)
	if _, err := p.Education.AddPartner(r.Context(), pr, education.PartnerInput{Name: r.PostFormValue("name"), Country: r.PostFormValue("country"),
		City: r.PostFormValue("city"), Institution: r.PostFormValue("institution_org")}); err != nil {
		p.renderEducation(w, r, v, p.formFail(v, err, "edu.err.", nil))
		return
	}
	p.redirectDone(w, r, "/education", "done.edu_partner")
}

// EducationAddProgramme publishes a joint programme from the form.
func (p *Pages) EducationAddProgramme(w http.ResponseWriter, r *http.Request) {
	if p.eduOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "edu.title", nil)
	_ = r.ParseForm()
	in := education.ProgrammeInput{Titles: map[string]string{}, Degree: r.PostFormValue("degree"), Partners: r.PostForm["partner_ids"]}
	for _, l := range education.Languages {
		if t := strings.TrimSpace(r.PostFormValue("title_" + l)); t != "" || l == "en" {
			in.Titles[l] = t
		}
	}
	for _, l := range strings.FieldsFunc(r.PostFormValue("languages"), func(c rune) bool { return c == ',' || c == ' ' }) {
		in.Languages = append(in.Languages, l)
	}
	in.DurationMonths, _ = strconv.Atoi(strings.TrimSpace(r.PostFormValue("duration_months")))
	if _, err := p.Education.AddProgramme(r.Context(), pr, in); err != nil {
		p.renderEducation(w, r, v, p.formFail(v, err, "edu.err.", nil))
		return
	}
	p.redirectDone(w, r, "/education", "done.edu_programme")
}

// EducationAddCourse publishes a vocational course from the form.
func (p *Pages) EducationAddCourse(w http.ResponseWriter, r *http.Request) {
	if p.eduOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "edu.title", nil)
	in := education.CourseInput{Title: r.PostFormValue("title"), Industry: r.PostFormValue("industry"), Language: r.PostFormValue("language"),
		StartDate: r.PostFormValue("start_date"), EndDate: r.PostFormValue("end_date"), AccountID: r.PostFormValue("account_id")}
	in.Capacity, _ = strconv.Atoi(strings.TrimSpace(r.PostFormValue("capacity")))
	in.RefundDays, _ = strconv.Atoi(strings.TrimSpace(r.PostFormValue("refund_days")))
	fee, ok := parseKZT(r.PostFormValue("fee"))
	if !ok {
		fee = -1
	}
	in.FeeKZT = fee
	if in.FeeKZT == 0 {
		in.AccountID = ""
	}
	if _, err := p.Education.AddCourse(r.Context(), pr, in); err != nil {
		p.renderEducation(w, r, v, p.formFail(v, err, "edu.err.", map[string]string{"fee_kzt": "fee"}))
		return
	}
	p.redirectDone(w, r, "/education", "done.edu_course")
}

// EducationEnrol enrols the resident on a course.
func (p *Pages) EducationEnrol(w http.ResponseWriter, r *http.Request) {
	if p.eduOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "edu.title", nil)
	if _, _, err := p.Education.Enrol(r.Context(), pr, education.EnrolInput{CourseID: r.PathValue("id"), Key: r.PostFormValue("key")}); err != nil {
		p.renderEducation(w, r, v, p.formFail(v, err, "edu.err.", nil))
		return
	}
	p.redirectDone(w, r, "/education/mine", "done.edu_enrolled")
}

// EducationWait puts the resident on a full course's waiting list.
func (p *Pages) EducationWait(w http.ResponseWriter, r *http.Request) {
	if p.eduOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "edu.title", nil)
	if _, err := p.Education.JoinWait(r.Context(), pr, r.PathValue("id")); err != nil {
		p.renderEducation(w, r, v, p.formFail(v, err, "edu.err.", nil))
		return
	}
	p.redirectDone(w, r, "/education/mine", "done.edu_waiting")
}

type eduEnrolRow struct {
	ID, Course, Student, Status, StatusClass, Dates, Fee, Refund, Completed, Certificate string
	Enrolled, Completable, Certifiable                                                   bool
}

func eduStatusClass(s string) string {
	switch s {
	case "enrolled", "accepted", "offered":
		return "ok"
	case "completed", "home_approved":
		return "info"
	case "withdrawn", "rejected":
		return "muted"
	}
	return ""
}

// EducationEnrolmentsPage lists a course's enrolments for the provider's
// educators, with completion and certificates.
func (p *Pages) EducationEnrolmentsPage(w http.ResponseWriter, r *http.Request) {
	if p.eduOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "edu.enrolments", nil)
	c, list, err := p.Education.CourseEnrolments(r.Context(), pr, r.PathValue("id"))
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	certs, _ := p.Education.Certificates(r.Context(), pr)
	certOf := map[string]string{}
	for _, ct := range certs {
		certOf[ct.EnrolmentID] = ct.Code
	}
	var rows []eduEnrolRow
	for _, e := range list {
		row := eduEnrolRow{ID: e.ID, Student: e.StudentName, Status: v.T("edu.status." + string(e.Status)), StatusClass: eduStatusClass(string(e.Status)),
			Certificate: certOf[e.ID], Completable: e.Status == education.Enrolled}
		if !e.CompletedAt.IsZero() {
			row.Completed = e.CompletedAt.In(p.Education.Location()).Format(time.DateOnly)
		}
		row.Certifiable = e.Status == education.Completed && row.Certificate == ""
		rows = append(rows, row)
	}
	v.Data = map[string]any{"Course": p.eduCourseRow(v, pr, c, p.orgNames(r)), "Enrolments": rows}
	p.render(w, r, http.StatusOK, "eduenrolments", v)
}

// EducationComplete marks an enrolment completed.
func (p *Pages) EducationComplete(w http.ResponseWriter, r *http.Request) {
	if p.eduOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	e, err := p.Education.Complete(r.Context(), pr, r.PathValue("id"))
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	p.redirectDone(w, r, "/education/courses/"+e.CourseID+"/enrolments", "done.edu_completed")
}

// EducationCertify issues an enrolment's certificate.
func (p *Pages) EducationCertify(w http.ResponseWriter, r *http.Request) {
	if p.eduOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	c, _, err := p.Education.IssueCertificate(r.Context(), pr, r.PathValue("id"))
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	p.redirectDone(w, r, "/education/courses/"+c.CourseID+"/enrolments", "done.edu_certified")
}

// EducationMinePage is the resident's enrolments, waiting list places and
// certificates.
func (p *Pages) EducationMinePage(w http.ResponseWriter, r *http.Request) {
	if p.eduOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "edu.mine", nil)
	ctx := r.Context()
	list, waits, err := p.Education.MyEnrolments(ctx, pr)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	courses, err := p.Education.Courses(ctx, pr, "")
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	byID, byResource := map[string]education.Course{}, map[string]education.Course{}
	for _, c := range courses {
		byID[c.ID], byResource[c.ResourceID] = c, c
	}
	var rows []eduEnrolRow
	for _, e := range list {
		c := byID[e.CourseID]
		row := eduEnrolRow{ID: e.ID, Course: c.Title, Dates: c.StartDate + " – " + c.EndDate, Status: v.T("edu.status." + string(e.Status)),
			StatusClass: eduStatusClass(string(e.Status)), Enrolled: e.Status == education.Enrolled}
		if e.FeeKZT > 0 {
			row.Fee = kzt(v.Lang, e.FeeKZT) + " KZT"
		}
		if e.RefundKZT > 0 {
			row.Refund = kzt(v.Lang, e.RefundKZT) + " KZT"
		}
		rows = append(rows, row)
	}
	type waitRow struct{ Course, CourseID, Status, StatusClass, Until string }
	var wrows []waitRow
	for _, wt := range waits {
		c := byResource[wt.ResourceID]
		row := waitRow{Course: c.Title, CourseID: c.ID, Status: v.T("edu.wait." + string(wt.Status)), StatusClass: eduStatusClass(string(wt.Status))}
		if wt.Status == booking.Offered {
			row.Until = wt.OfferUntil.In(p.Education.Location()).Format("2006-01-02 15:04")
		}
		wrows = append(wrows, row)
	}
	certs, err := p.Education.Certificates(ctx, pr)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	type certRow struct{ Code, Course, Issued string }
	var crows []certRow
	for _, c := range certs {
		crows = append(crows, certRow{Code: c.Code, Course: c.CourseTitle, Issued: c.IssuedAt.In(p.Education.Location()).Format(time.DateOnly)})
	}
	v.Data = map[string]any{"Enrolments": rows, "Waits": wrows, "Certificates": crows, "Key": uuid.Must(uuid.NewV7()).String()}
	p.render(w, r, http.StatusOK, "edumine", v)
}

// EducationWithdraw withdraws the resident from a course.
func (p *Pages) EducationWithdraw(w http.ResponseWriter, r *http.Request) {
	if p.eduOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	if _, err := p.Education.Withdraw(r.Context(), pr, r.PathValue("id")); err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	p.redirectDone(w, r, "/education/mine", "done.edu_withdrawn")
}

type eduExchangeRow struct {
	ID, Student, Home, Host, Programme, Term, Statement, Status, StatusClass, Reason string
	HomeStep, HostStep, Withdrawable                                                 bool
}

// EducationExchangesPage lists exchange applications: a resident's own
// with the form to apply, or those naming the educator's institution
// with its decisions.
func (p *Pages) EducationExchangesPage(w http.ResponseWriter, r *http.Request) {
	if p.eduOff(w, r) {
		return
	}
	v := p.view(w, r, "edu.exchanges", nil)
	p.renderExchanges(w, r, v, http.StatusOK)
}

func (p *Pages) renderExchanges(w http.ResponseWriter, r *http.Request, v *View, status int) {
	pr := identity.FromContext(r.Context())
	ctx := r.Context()
	list, err := p.Education.Exchanges(ctx, pr)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	names := p.orgNames(r)
	progs, _ := p.Education.Programmes(ctx, pr, "")
	progTitle := map[string]string{}
	for _, pg := range progs {
		progTitle[pg.ID] = pg.Title(v.Lang)
	}
	staff := education.IsProviderStaff(pr)
	var rows []eduExchangeRow
	for _, x := range list {
		st := v.T("edu.xstatus." + string(x.Status))
		if x.Status == education.Rejected {
			st = v.T("edu.xrejected." + x.RejectedBy)
		}
		rows = append(rows, eduExchangeRow{ID: x.ID, Student: x.StudentName, Home: names.Name(x.HomeOrg), Host: names.Name(x.HostOrg),
			Programme: progTitle[x.ProgrammeID], Term: x.Term, Statement: x.Statement, Status: st, StatusClass: eduStatusClass(string(x.Status)), Reason: x.Reason,
			HomeStep:     staff && pr.OrgID == x.HomeOrg && x.Status == education.Submitted,
			HostStep:     staff && pr.OrgID == x.HostOrg && x.Status == education.HomeApproved,
			Withdrawable: education.IsStudent(pr) && (x.Status == education.Submitted || x.Status == education.HomeApproved)})
	}
	data := map[string]any{"Exchanges": rows, "Student": education.IsStudent(pr), "Staff": staff}
	if education.IsStudent(pr) {
		var insts, popts []optionView
		if list, err := p.Education.Institutions(ctx, pr); err == nil {
			for _, o := range list {
				insts = append(insts, optionView{ID: o.ID, Text: o.Name})
			}
		}
		for _, pg := range progs {
			popts = append(popts, optionView{ID: pg.ID, Text: pg.Title(v.Lang) + " — " + names.Name(pg.OrgID)})
		}
		y := time.Now().In(p.Education.Location()).Year()
		var terms []string
		for _, t := range []string{strconv.Itoa(y) + "-autumn", strconv.Itoa(y+1) + "-spring", strconv.Itoa(y+1) + "-autumn", strconv.Itoa(y+2) + "-spring"} {
			terms = append(terms, t)
		}
		data["Institutions"], data["Programmes"], data["Terms"] = insts, popts, terms
	}
	v.Data = data
	p.render(w, r, status, "eduexchanges", v)
}

// EducationApply files the resident's exchange application.
func (p *Pages) EducationApply(w http.ResponseWriter, r *http.Request) {
	if p.eduOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "edu.exchanges", nil)
	if _, err := p.Education.Apply(r.Context(), pr, education.ExchangeInput{HomeOrg: r.PostFormValue("home_org"), HostOrg: r.PostFormValue("host_org"),
		ProgrammeID: r.PostFormValue("programme_id"), Term: r.PostFormValue("term"), Statement: r.PostFormValue("statement")}); err != nil {
		p.renderExchanges(w, r, v, p.formFail(v, err, "edu.err.", nil))
		return
	}
	p.redirectDone(w, r, "/education/exchanges", "done.edu_applied")
}

// EducationDecide records the educator's institution's decision.
func (p *Pages) EducationDecide(w http.ResponseWriter, r *http.Request) {
	if p.eduOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "edu.exchanges", nil)
	if _, err := p.Education.Decide(r.Context(), pr, r.PathValue("id"), education.DecisionInput{Step: r.PostFormValue("step"),
		Approve: r.PostFormValue("approve") == "true", Reason: r.PostFormValue("reason")}); err != nil {
		if problem.Is(err, problem.NotFound) {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		p.renderExchanges(w, r, v, p.formFail(v, err, "edu.err.", nil))
		return
	}
	p.redirectDone(w, r, "/education/exchanges", "done.edu_decided")
}

// EducationWithdrawExchange withdraws the resident's application.
func (p *Pages) EducationWithdrawExchange(w http.ResponseWriter, r *http.Request) {
	if p.eduOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	if _, err := p.Education.WithdrawExchange(r.Context(), pr, r.PathValue("id")); err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	p.redirectDone(w, r, "/education/exchanges", "done.edu_exchange_withdrawn")
}

// EducationVerifyPage verifies a certificate by its code, for anyone.
func (p *Pages) EducationVerifyPage(w http.ResponseWriter, r *http.Request) {
	if p.eduOff(w, r) {
		return
	}
	data := map[string]any{}
	v := p.view(w, r, "edu.verify", data)
	status := http.StatusOK
	if code := strings.TrimSpace(r.URL.Query().Get("code")); code != "" {
		data["Code"] = code
		c, err := p.Education.Verify(r.Context(), code)
		switch {
		case problem.Is(err, problem.NotFound):
			data["Unknown"] = true
			status = http.StatusNotFound
		case err != nil:
			p.Error(w, r, statusOfErr(err), err)
			return
		default:
			loc := p.Education.Location()
			data["Cert"] = map[string]string{"Code": c.Code, "Holder": c.HolderName, "Course": c.CourseTitle, "Provider": c.ProviderName,
				"Completed": c.CompletedAt.In(loc).Format(time.DateOnly), "Issued": c.IssuedAt.In(loc).Format(time.DateOnly)}
		}
	}
	p.render(w, r, status, "eduverify", v)
}

// educationHome is the education zone's part of the home: a student's
// courses and offered seats, an educator's applications awaiting its
// institution's decision. Counts are the pages' own reads.
func (p *Pages) educationHome(r *http.Request, v *View, pr *identity.Principal) []homeCount {
	if p.Education == nil || pr == nil {
		return nil
	}
	var out []homeCount
	ctx := r.Context()
	if education.IsStudent(pr) {
		if list, waits, err := p.Education.MyEnrolments(ctx, pr); err == nil && len(list)+len(waits) > 0 {
			n, offered := 0, 0
			for _, e := range list {
				if e.Status == education.Enrolled {
					n++
				}
			}
			for _, wt := range waits {
				if wt.Status == booking.Offered {
					offered++
				}
			}
			out = append(out, counted(v, "h-edu-courses", "edu.home.courses", n, false, p.href(pr, "/education/mine", "/education/mine"), false))
			if offered > 0 {
				out = append(out, counted(v, "h-edu-offers", "edu.home.offers", offered, false, p.href(pr, "/education/mine", "/education/mine"), true))
			}
		}
	}
	if education.IsProviderStaff(pr) {
		if list, err := p.Education.Exchanges(ctx, pr); err == nil {
			n := 0
			for _, x := range list {
				if x.HomeOrg == pr.OrgID && x.Status == education.Submitted || x.HostOrg == pr.OrgID && x.Status == education.HomeApproved {
					n++
				}
			}
			out = append(out, counted(v, "h-edu-decisions", "edu.home.decisions", n, false, p.href(pr, "/education/exchanges", "/education/exchanges"), n > 0))
		}
	}
	return out
}

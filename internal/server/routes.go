package server

import (
	"context"
	"net/http"

	"bricstown/internal/customs"
	"bricstown/internal/expo"
	"bricstown/internal/identity"
	"bricstown/internal/obligations"
)

// Access says who may call a route. Exactly one of Public, AnyUser or Roles
// applies; the route-table test proves for every non-public route that an
// anonymous call and a call by a role outside Roles are refused.
type Access struct {
	Public  bool
	AnyUser bool
	Roles   []identity.Role
	// Applies, when set, narrows Roles by a domain rule about the caller's
	// organisation (a bank's administrator holds org_admin but files no
	// declarations; the settlement centre is a bank that sets no prices).
	// The guard refuses whom it excludes and the navigation hides the page
	// from them, so the two cannot disagree.
	Applies func(ctx context.Context, p *identity.Principal) bool
}

// narrowed is a with the domain rule applies.
func narrowed(a Access, applies func(ctx context.Context, p *identity.Principal) bool) Access {
	a.Applies = applies
	return a
}

// allows reports whether p may call a route with access a.
func (a Access) allows(ctx context.Context, p *identity.Principal) bool {
	if a.Public {
		return true
	}
	if p == nil || !a.AnyUser && !p.HasAny(a.Roles...) {
		return false
	}
	return a.Applies == nil || a.Applies(ctx, p)
}

var (
	public  = Access{Public: true}
	anyUser = Access{AnyUser: true}
)

func roles(rs ...identity.Role) Access { return Access{Roles: rs} }

// Route is one entry of the route table.
type Route struct {
	Method  string
	Pattern string // net/http pattern path, e.g. /api/v1/orgs/{org}
	Access  Access
	Handler http.HandlerFunc
	// Page routes answer with HTML (and redirect anonymous users to the
	// login page); the others answer with JSON and problem+json.
	Page bool
	// BodyLimit caps the request body; 0 means the default.
	BodyLimit int64
}

// DefaultBodyLimit caps every request body unless a route says otherwise.
const DefaultBodyLimit = 1 << 20

const (
	admin    = identity.PlatformAdmin
	orgAdmin = identity.OrgAdmin
)

// ledgerRoles may hold accounts and move money: the organisation's own
// rules (which account, whose money) are checked by the ledger service.
var ledgerRoles = roles(admin, orgAdmin, identity.Trader, identity.BankOperator)

// guaranteeRead may list and read guarantees; the service shows each
// organisation only those it issued, holds or benefits from.
var guaranteeRead = roles(admin, orgAdmin, identity.Trader, identity.BankOperator, identity.CustomsOfficer)

// bookingUse may browse resources and book them: traders and
// administrators of any organisation, residents (the service lets them see
// and book public resources only, and each party only its own bookings).
var bookingUse = roles(orgAdmin, identity.Trader, identity.Resident)

// bookingOwner manages resources: an organisation's administrators (the
// service checks it is the owning organisation).
var bookingOwner = roles(orgAdmin)

// dealUse drafts and reads agreements: an organisation's traders and administrators (the
// service shows each only its own organisation's agreements); dealSign registers keys and signs:
// administrators, the organisation's authorised signatories.
var (
	dealUse  = roles(orgAdmin, identity.Trader)
	dealSign = roles(orgAdmin)
)

// expoRead may see the expos, their halls and booth maps: the town's
// organisations (the service shows each its own applications, requests and
// agenda, and the organiser its expo's).
var expoRead = roles(admin, orgAdmin, identity.Trader, identity.Organiser)

// expoOrganise runs an expo: an event organiser's organisers (the service
// checks it is the expo's organising organisation).
var expoOrganise = roles(identity.Organiser)

// expoCompany exhibits and buys: a company's traders and administrators
// (expo.IsCompany), not a bank's or an authority's administrator.
var expoCompany = narrowed(roles(identity.Trader, orgAdmin), func(_ context.Context, p *identity.Principal) bool {
	return expo.IsCompany(p)
})

// logisticsRead may read the schedule and the shipments it is party to:
// the service shows a trader its own, a carrier those on its departures.
var logisticsRead = roles(admin, identity.Carrier, identity.Trader)

// customsDeclarant is who files declarations: traders and the
// administrators of trading firms (customs.AuthorityOf), not a bank's or an
// authority's administrator.
var customsDeclarant = narrowed(roles(identity.Trader, orgAdmin), func(_ context.Context, p *identity.Principal) bool {
	return customs.AuthorityOf(p) == customs.ByDeclarant
})

// invoiceHolders is who works with a company's invoices: its traders and
// administrators, not the platform administrator, who runs clearing and
// reads runs (obligations.HoldsInvoices).
var invoiceHolders = narrowed(roles(identity.Trader, orgAdmin), func(_ context.Context, p *identity.Principal) bool {
	return obligations.HoldsInvoices(p)
})

// fxQuoting is who publishes prices and fees: a bank's operators, except
// the settlement centre's (fx.Service.MayQuote).
func (s *Server) fxQuoting() Access {
	return narrowed(fxPublish, func(ctx context.Context, p *identity.Principal) bool {
		return s.FX == nil || s.FX.MayQuote(ctx, p)
	})
}

// routes is the whole HTTP surface of the platform, with who may call what.
func (s *Server) routes() []Route {
	api := func(method, pattern string, a Access, h http.HandlerFunc) Route {
		return Route{Method: method, Pattern: pattern, Access: a, Handler: h}
	}
	page := func(method, pattern string, a Access, h http.HandlerFunc) Route {
		return Route{Method: method, Pattern: pattern, Access: a, Handler: h, Page: true}
	}
	return append([]Route{
		// Operations.
		api("GET", "/healthz", public, s.healthz),
		api("GET", "/readyz", public, s.readyz),
		api("GET", "/metrics", public, s.metricsHandler),
		api("GET", "/api/v1/openapi.json", public, s.openapi),

		// Identity and access.
		api("GET", "/api/v1/me", anyUser, s.me),
		api("GET", "/api/v1/me/home", anyUser, s.myHome),
		api("GET", "/api/v1/orgs", anyUser, s.listOrgs),
		api("POST", "/api/v1/orgs", roles(admin), s.createOrg),
		api("GET", "/api/v1/orgs/{org}", anyUser, s.getOrg),
		api("GET", "/api/v1/orgs/{org}/users", roles(admin, orgAdmin), s.listUsers),
		api("POST", "/api/v1/orgs/{org}/users", roles(admin, orgAdmin), s.createUser),
		api("POST", "/api/v1/orgs/{org}/users/{user}/disable", roles(admin, orgAdmin), s.disableUser),
		api("POST", "/api/v1/orgs/{org}/users/{user}/enable", roles(admin, orgAdmin), s.enableUser),
		api("GET", "/api/v1/orgs/{org}/tokens", roles(admin, orgAdmin), s.listTokens),
		api("POST", "/api/v1/orgs/{org}/tokens", roles(admin, orgAdmin), s.createToken),
		api("DELETE", "/api/v1/orgs/{org}/tokens/{token}", roles(admin, orgAdmin), s.revokeToken),
		api("GET", "/api/v1/audit", roles(admin, orgAdmin), s.listAudit),

		// Ledger.
		api("POST", "/api/v1/ledger/accounts", ledgerRoles, s.createAccount),
		api("GET", "/api/v1/ledger/accounts", ledgerRoles, s.listAccounts),
		api("GET", "/api/v1/ledger/accounts/{id}", ledgerRoles, s.getAccount),
		api("POST", "/api/v1/ledger/accounts/{id}/close", ledgerRoles, s.closeAccount),
		api("GET", "/api/v1/ledger/accounts/{id}/history", ledgerRoles, s.accountHistory),
		api("GET", "/api/v1/ledger/accounts/{id}/balance", ledgerRoles, s.accountBalance),
		{Method: "POST", Pattern: "/api/v1/ledger/transfers", Access: ledgerRoles, Handler: s.createTransfers, BodyLimit: 4 << 20},
		api("GET", "/api/v1/ledger/transfers/{id}", ledgerRoles, s.getTransfer),
		// Saved counterparties: an org's own labels for accounts it pays.
		api("POST", "/api/v1/ledger/counterparties", ledgerRoles, s.saveCounterparty),
		api("GET", "/api/v1/ledger/counterparties", ledgerRoles, s.listCounterparties),
		api("DELETE", "/api/v1/ledger/counterparties/{id}", ledgerRoles, s.deleteCounterparty),
		// Who creates money: the centre's operators grant banks issuance
		// limits (the service checks the centre); banks see their own line.
		api("PUT", "/api/v1/ledger/issuance", roles(admin, identity.BankOperator), s.setIssuance),
		api("GET", "/api/v1/ledger/issuance", roles(admin, identity.BankOperator), s.listIssuance),

		// FX in local currencies.
		api("POST", "/api/v1/fx/rates", fxPublish, s.publishRate),
		api("GET", "/api/v1/fx/rates", anyUser, s.fxBoard),
		api("GET", "/api/v1/fx/rates/history", anyUser, s.fxHistory),
		api("POST", "/api/v1/fx/fees", fxFees, s.setFee),
		api("POST", "/api/v1/fx/quotes", ledgerRoles, s.createQuote),
		api("GET", "/api/v1/fx/quotes/{id}", ledgerRoles, s.getQuote),
		api("POST", "/api/v1/fx/conversions", ledgerRoles, s.createConversion),
		api("GET", "/api/v1/fx/exposure", ledgerRoles, s.fxExposure),
		api("POST", "/api/v1/fx/reference", fxReferencePublish, s.publishReference),
		api("GET", "/api/v1/fx/reference", anyUser, s.fxReference),
		{Method: "POST", Pattern: "/api/v1/fx/reference/csv", Access: fxReferencePublish, Handler: s.importReference, BodyLimit: fxReferenceBodyLimit},

		// Settlement.
		api("POST", "/api/v1/settlement/participants", settleAdmin, s.registerParticipant),
		api("GET", "/api/v1/settlement/participants", settleRead, s.listParticipants),
		{Method: "POST", Pattern: "/api/v1/settlement/instructions", Access: settleBank, Handler: s.submitInstructions, BodyLimit: 8 << 20},
		{Method: "POST", Pattern: "/api/v1/settlement/instructions/pacs008", Access: settleBank, Handler: s.importPacs008, BodyLimit: 32<<20 + 1},
		api("GET", "/api/v1/settlement/instructions", settleRead, s.listInstructions),
		api("GET", "/api/v1/settlement/instructions/{e2e}", settleRead, s.getInstruction),
		api("POST", "/api/v1/settlement/instructions/{e2e}/cancel", settleBank, s.cancelInstruction),
		api("GET", "/api/v1/settlement/queue", settleCentre, s.listQueue),
		api("POST", "/api/v1/settlement/queue/{seq}/hold", settleCentre, s.holdInstruction),
		api("POST", "/api/v1/settlement/queue/{seq}/release", settleCentre, s.releaseInstruction),
		api("POST", "/api/v1/settlement/queue/{seq}/cancel", settleCentre, s.cancelQueued),
		api("POST", "/api/v1/settlement/cycles", settleCentre, s.runCycle),
		api("GET", "/api/v1/settlement/cycles", settleRead, s.listCycles),
		api("GET", "/api/v1/settlement/cycles/{n}", settleRead, s.getCycle),
		api("GET", "/api/v1/settlement/cycles/{n}/report.csv", settleRead, s.cycleCSV),
		api("GET", "/api/v1/settlement/cycles/{n}/pacs009", settleRead, s.cyclePacs009),
		api("GET", "/api/v1/settlement/statement", settleBank, s.settlementStatement),
		api("GET", "/api/v1/settlement/cost-model", settleRead, s.costModel),

		// Obligation clearing (MTCS).
		{Method: "POST", Pattern: "/api/v1/obligations/invoices", Access: invoiceHolders, Handler: s.createInvoices, BodyLimit: obligationsBodyLimit},
		{Method: "POST", Pattern: "/api/v1/obligations/invoices/csv", Access: invoiceHolders, Handler: s.importInvoicesCSV, BodyLimit: obligationsBodyLimit},
		api("GET", "/api/v1/obligations/invoices", invoiceHolders, s.listInvoices),
		api("GET", "/api/v1/obligations/invoices/{id}", invoiceHolders, s.getInvoice),
		api("POST", "/api/v1/obligations/invoices/{id}/confirm", invoiceHolders, s.confirmInvoice),
		api("POST", "/api/v1/obligations/runs", roles(admin), s.createRun),
		api("GET", "/api/v1/obligations/runs", roles(admin, orgAdmin, identity.Trader), s.listRuns),
		api("GET", "/api/v1/obligations/runs/{id}", roles(admin, orgAdmin, identity.Trader), s.getRun),

		// Customs, quarantine and risk (one-stop trade service centre).
		{Method: "POST", Pattern: "/api/v1/customs/declarations", Access: customsTrader, Handler: s.createDeclaration, BodyLimit: customsDocumentBodyLimit + 1<<20},
		api("GET", "/api/v1/customs/declarations", customsRead, s.listDeclarations),
		api("GET", "/api/v1/customs/declarations/{id}", customsRead, s.getDeclaration),
		api("PUT", "/api/v1/customs/declarations/{id}", customsTrader, s.amendDeclaration),
		{Method: "POST", Pattern: "/api/v1/customs/declarations/{id}/documents", Access: customsTrader, Handler: s.attachDocument, BodyLimit: customsDocumentBodyLimit},
		api("GET", "/api/v1/customs/declarations/{id}/documents/{doc}", customsRead, s.getDocument),
		api("POST", "/api/v1/customs/declarations/{id}/submit", customsTrader, s.submitDeclaration()),
		api("POST", "/api/v1/customs/declarations/{id}/arrive", customsOfficer, s.presentGoods()),
		api("POST", "/api/v1/customs/declarations/{id}/pay", customsTrader, s.payDuties()),
		api("POST", "/api/v1/customs/declarations/{id}/guarantee", customsTrader, s.lodgeGuarantee()),
		api("POST", "/api/v1/customs/declarations/{id}/cancel", customsTrader, s.cancelDeclaration()),
		api("GET", "/api/v1/customs/declarations/{id}/history", customsRead, s.declarationHistory),
		api("GET", "/api/v1/customs/declarations/{id}/events", customsRead, s.declarationEvents),
		api("POST", "/api/v1/customs/declarations/{id}/checks", customsOfficer, s.decideChecks()),
		api("POST", "/api/v1/customs/declarations/{id}/release", customsOfficer, s.releaseGoods()),
		api("POST", "/api/v1/customs/declarations/{id}/refuse", customsOfficer, s.refuseGoods()),
		api("POST", "/api/v1/customs/declarations/{id}/refund", customsOfficer, s.payRefund()),
		api("POST", "/api/v1/customs/declarations/{id}/inspections", quarantineOfficer, s.recordInspection()),
		api("POST", "/api/v1/customs/declarations/{id}/sps-hold", quarantineOfficer, s.holdSPS()),
		api("POST", "/api/v1/customs/declarations/{id}/sps-release", quarantineOfficer, s.releaseSPSHold()),
		api("POST", "/api/v1/customs/declarations/{id}/sps-refuse", quarantineOfficer, s.refuseSPS()),
		api("POST", "/api/v1/customs/estimate", customsTrader, s.estimateDuties),
		api("GET", "/api/v1/customs/queue", customsOfficer, s.customsQueue),
		api("GET", "/api/v1/customs/quarantine/queue", quarantineOfficer, s.quarantineQueue),
		api("POST", "/api/v1/customs/trusted-traders", customsOfficer, s.setTrustedTrader),
		api("GET", "/api/v1/customs/stats", customsStatsRead, s.laneStats),
		// Bank guarantees for customs duties: banks issue and release them,
		// declarants draw on those issued to them (through the customs
		// guarantee route), customs sees those in its favour.
		api("POST", "/api/v1/guarantees", roles(identity.BankOperator), s.issueGuarantee),
		api("GET", "/api/v1/guarantees", guaranteeRead, s.listGuarantees),
		api("GET", "/api/v1/guarantees/{id}", guaranteeRead, s.getGuarantee),
		api("POST", "/api/v1/guarantees/{id}/cancel", roles(identity.BankOperator), s.cancelGuarantee),
		// Booking engine (issue 12): owners manage resources, bookers hold,
		// confirm and cancel their own bookings, the service checks whose.
		api("GET", "/api/v1/booking/resources", bookingUse, s.listBookingResources),
		api("POST", "/api/v1/booking/resources", bookingOwner, s.createBookingResource),
		api("GET", "/api/v1/booking/resources/{id}", bookingUse, s.getBookingResource),
		api("PUT", "/api/v1/booking/resources/{id}", bookingOwner, s.updateBookingResource),
		api("GET", "/api/v1/booking/resources/{id}/availability", bookingUse, s.bookingAvailability),
		api("GET", "/api/v1/booking/resources/{id}/utilisation", bookingOwner, s.bookingUtilisation),
		api("GET", "/api/v1/booking/resources/{id}/bookings", bookingOwner, s.resourceBookings),
		api("GET", "/api/v1/booking/bookings", bookingUse, s.listMyBookings),
		api("POST", "/api/v1/booking/bookings", bookingUse, s.createBooking),
		api("GET", "/api/v1/booking/bookings/{id}", bookingUse, s.getBooking),
		api("POST", "/api/v1/booking/bookings/{id}/confirm", bookingUse, s.confirmBooking),
		api("POST", "/api/v1/booking/bookings/{id}/cancel", bookingUse, s.cancelBooking),
		api("GET", "/api/v1/booking/waits", bookingUse, s.listBookingWaits),
		api("POST", "/api/v1/booking/waits", bookingUse, s.joinBookingWait),
		api("GET", "/api/v1/booking/calendar.ics", bookingUse, s.bookingCalendar),
		// Art zone (issue 12): festivals on the booking engine; the
		// programme is public within the platform, tickets are each
		// party's own, the door is the organiser's.
		api("GET", "/api/v1/festivals", anyUser, s.listFestivals),
		api("POST", "/api/v1/festivals", festivalVenue, s.createFestival),
		api("GET", "/api/v1/festivals/{id}", anyUser, s.getFestival),
		api("POST", "/api/v1/festivals/{id}/performances", festivalVenue, s.addPerformance),
		api("GET", "/api/v1/festival/performances/{id}", anyUser, s.getPerformance),
		api("GET", "/api/v1/festival/performances/{id}/sales", festivalDoor, s.performanceSales),
		api("POST", "/api/v1/festival/performances/{id}/cancel", festivalVenue, s.cancelPerformance),
		api("GET", "/api/v1/festival/tickets", festivalBuy, s.myTickets),
		api("POST", "/api/v1/festival/tickets", festivalBuy, s.buyTicket),
		api("GET", "/api/v1/festival/tickets/{id}", festivalBuy, s.getTicket),
		api("GET", "/api/v1/festival/tickets/{id}/qr.svg", festivalBuy, s.ticketQR),
		api("POST", "/api/v1/festival/tickets/{id}/cancel", festivalBuy, s.cancelTicket),
		api("POST", "/api/v1/festival/checkin", festivalDoor, s.checkInTicket),
		// Medical and wellness zone (issue 12): doctors and packages on the
		// booking engine; records only to the patient, the treating doctor
		// and the clinic's administrators (the service answers not_found to
		// everyone else); the room only to the patient and the doctor.
		api("GET", "/api/v1/clinic/doctors", clinicBook, s.listClinicDoctors),
		api("POST", "/api/v1/clinic/doctors", clinicAdmin, s.addClinicDoctor),
		api("GET", "/api/v1/clinic/doctors/{id}", clinicBook, s.getClinicDoctor),
		api("GET", "/api/v1/clinic/doctors/{id}/availability", clinicBook, s.clinicAvailability),
		api("GET", "/api/v1/clinic/packages", clinicBook, s.listClinicPackages),
		api("POST", "/api/v1/clinic/packages", clinicAdmin, s.addClinicPackage),
		api("POST", "/api/v1/clinic/package-bookings", clinicBook, s.bookClinicPackage),
		api("POST", "/api/v1/clinic/consultations", clinicBook, s.bookConsultation),
		api("GET", "/api/v1/clinic/consultations", clinicRecords, s.listConsultations),
		api("GET", "/api/v1/clinic/consultations/{id}", clinicRecords, s.getConsultation),
		api("POST", "/api/v1/clinic/consultations/{id}/cancel", clinicRecords, s.cancelConsultation),
		api("POST", "/api/v1/clinic/consultations/{id}/notes", clinicDoctor, s.addConsultationNote),
		api("POST", "/api/v1/clinic/consultations/{id}/prescriptions", clinicDoctor, s.addConsultationPrescription),
		api("GET", "/api/v1/clinic/consultations/{id}/room", clinicRecords, s.consultationRoom),
		api("POST", "/api/v1/clinic/consultations/{id}/signals", clinicRecords, s.sendRoomSignal),
		api("GET", "/api/v1/clinic/consultations/{id}/signals", clinicRecords, s.roomSignals),
		api("GET", "/api/v1/clinic/day", clinicDoctor, s.doctorDay),
		// Education zone (issue 12): the catalogue is public within the
		// platform, a course's seats are the booking engine's, enrolments,
		// certificates and applications are each party's own (not_found for
		// the rest); anyone verifies a certificate by its code.
		api("GET", "/api/v1/education/partners", anyUser, s.listEduPartners),
		api("POST", "/api/v1/education/partners", eduAdmin, s.addEduPartner),
		api("GET", "/api/v1/education/programmes", anyUser, s.listEduProgrammes),
		api("POST", "/api/v1/education/programmes", eduAdmin, s.addEduProgramme),
		api("GET", "/api/v1/education/programmes/{id}", anyUser, s.getEduProgramme),
		api("GET", "/api/v1/education/courses", anyUser, s.listEduCourses),
		api("POST", "/api/v1/education/courses", eduAdmin, s.addEduCourse),
		api("GET", "/api/v1/education/courses/{id}", anyUser, s.getEduCourse),
		api("GET", "/api/v1/education/courses/{id}/enrolments", eduStaff, s.eduCourseEnrolments),
		api("POST", "/api/v1/education/courses/{id}/wait", eduStudent, s.joinEduWait),
		api("GET", "/api/v1/education/enrolments", eduStudent, s.myEduEnrolments),
		api("POST", "/api/v1/education/enrolments", eduStudent, s.enrolEdu),
		api("GET", "/api/v1/education/enrolments/{id}", eduPeople, s.getEduEnrolment),
		api("POST", "/api/v1/education/enrolments/{id}/withdraw", eduStudent, s.withdrawEdu),
		api("POST", "/api/v1/education/enrolments/{id}/complete", eduStaff, s.completeEdu),
		api("POST", "/api/v1/education/enrolments/{id}/certificate", eduStaff, s.issueEduCertificate),
		api("GET", "/api/v1/education/certificates", eduPeople, s.listEduCertificates),
		api("GET", "/api/v1/education/certificates/{code}", public, s.verifyEduCertificate),
		api("GET", "/api/v1/education/institutions", anyUser, s.listEduInstitutions),
		api("GET", "/api/v1/education/exchanges", eduPeople, s.listEduExchanges),
		api("POST", "/api/v1/education/exchanges", eduStudent, s.applyEduExchange),
		api("GET", "/api/v1/education/exchanges/{id}", eduPeople, s.getEduExchange),
		api("POST", "/api/v1/education/exchanges/{id}/decision", eduStaff, s.decideEduExchange),
		api("POST", "/api/v1/education/exchanges/{id}/withdraw", eduStudent, s.withdrawEduExchange),
		// Expos (issue 11): organisers run them, companies exhibit and buy;
		// the service checks whose application, fee, request and agenda.
		api("GET", "/api/v1/expos", expoRead, s.listExpos),
		api("POST", "/api/v1/expos", expoOrganise, s.createExpo),
		api("GET", "/api/v1/expos/{id}", expoRead, s.getExpo),
		api("POST", "/api/v1/expos/{id}/halls", expoOrganise, s.addExpoHall),
		api("POST", "/api/v1/expos/{id}/booths", expoOrganise, s.addExpoBooth),
		api("GET", "/api/v1/expos/{id}/applications", expoRead, s.listExpoApplications),
		api("POST", "/api/v1/expos/{id}/applications", expoCompany, s.applyExpo),
		api("POST", "/api/v1/expos/{id}/applications/{app}/approve", expoOrganise, s.approveExpoApplication),
		api("POST", "/api/v1/expos/{id}/applications/{app}/reject", expoOrganise, s.rejectExpoApplication),
		api("POST", "/api/v1/expos/{id}/applications/{app}/allocate", expoOrganise, s.allocateExpoBooth),
		api("POST", "/api/v1/expos/{id}/applications/{app}/pay", expoCompany, s.payExpoFee),
		api("GET", "/api/v1/expos/{id}/showcase", expoRead, s.listExpoShowcase),
		api("POST", "/api/v1/expos/{id}/showcase", expoCompany, s.addExpoShowcase),
		api("POST", "/api/v1/expos/{id}/buyers", expoCompany, s.registerExpoBuyer),
		api("GET", "/api/v1/expos/{id}/meeting-requests", expoCompany, s.listExpoRequests),
		api("POST", "/api/v1/expos/{id}/meeting-requests", expoCompany, s.requestExpoMeeting),
		api("POST", "/api/v1/expos/{id}/meeting-requests/{req}/accept", expoCompany, s.acceptExpoRequest),
		api("POST", "/api/v1/expos/{id}/meeting-requests/{req}/decline", expoCompany, s.declineExpoRequest),
		api("GET", "/api/v1/expos/{id}/schedule", expoOrganise, s.getExpoSchedule),
		api("POST", "/api/v1/expos/{id}/schedule", expoOrganise, s.runExpoSchedule),
		api("GET", "/api/v1/expos/{id}/agenda", expoCompany, s.expoAgenda),
		api("GET", "/api/v1/expos/{id}/agenda.ics", expoCompany, s.expoCalendar),
		// Logistics dispatch: carriers publish departures on their legs,
		// traders enter and book shipments, the carrier of a departure
		// reports the journey on it, the platform administrator runs the
		// dispatcher (logistics.Service checks whose record it is).
		api("GET", "/api/v1/logistics/departures", logisticsRead, s.listDepartures),
		api("POST", "/api/v1/logistics/departures", roles(identity.Carrier), s.publishDeparture),
		api("GET", "/api/v1/logistics/departures/{id}", logisticsRead, s.getDeparture),
		api("PUT", "/api/v1/logistics/departures/{id}", roles(identity.Carrier), s.updateDeparture),
		api("GET", "/api/v1/logistics/shipments", logisticsRead, s.listShipments),
		api("POST", "/api/v1/logistics/shipments", roles(identity.Trader), s.createShipment),
		api("GET", "/api/v1/logistics/shipments/{id}", logisticsRead, s.getShipment),
		api("POST", "/api/v1/logistics/shipments/{id}/book", roles(identity.Trader), s.bookShipment),
		api("POST", "/api/v1/logistics/shipments/{id}/cancel", roles(identity.Trader), s.cancelShipmentBooking),
		api("POST", "/api/v1/logistics/shipments/{id}/events", roles(identity.Carrier), s.recordShipmentEvent),
		api("GET", "/api/v1/logistics/shipments/{id}/stream", logisticsRead, s.shipmentStream),
		api("POST", "/api/v1/logistics/plan", roles(admin), s.planDispatch),
		// The marketplace catalogue: everyone signed in searches; companies
		// publish their own products and contract prices.
		api("GET", "/api/v1/market/products", anyUser, s.searchProducts),
		api("POST", "/api/v1/market/products", marketSeller, s.publishProduct),
		api("GET", "/api/v1/market/products/{id}", anyUser, s.getProduct),
		api("PUT", "/api/v1/market/products/{id}", marketSeller, s.updateProduct),
		api("GET", "/api/v1/market/products/{id}/contract-prices", marketSeller, s.listContractPrices),
		api("POST", "/api/v1/market/products/{id}/contract-prices", marketSeller, s.setContractPrice),
		api("GET", "/api/v1/market/mine", marketSeller, s.myProducts),
		// Buyer groups: a seller's private sets of buyers for group prices.
		api("GET", "/api/v1/market/buyer-groups", marketSeller, s.listBuyerGroups),
		api("POST", "/api/v1/market/buyer-groups", marketSeller, s.createBuyerGroup),
		api("GET", "/api/v1/market/buyer-groups/{id}", marketSeller, s.getBuyerGroup),
		api("PUT", "/api/v1/market/buyer-groups/{id}", marketSeller, s.renameBuyerGroup),
		api("DELETE", "/api/v1/market/buyer-groups/{id}", marketSeller, s.deleteBuyerGroup),
		api("POST", "/api/v1/market/buyer-groups/{id}/members", marketSeller, s.addBuyerGroupMember),
		api("DELETE", "/api/v1/market/buyer-groups/{id}/members/{org}", marketSeller, s.removeBuyerGroupMember),
		// Product images: the seller adds (raw body, sniffed) and deletes;
		// everyone signed in lists them and loads them from /market/images.
		{Method: "POST", Pattern: "/api/v1/market/products/{id}/images", Access: marketSeller, Handler: s.addProductImage, BodyLimit: marketImageBodyLimit},
		api("GET", "/api/v1/market/products/{id}/images", anyUser, s.listProductImages),
		api("DELETE", "/api/v1/market/products/{id}/images/{image}", marketSeller, s.deleteProductImage),
		// Investment agreements: parties draft, their administrators sign with Ed25519 keys
		// registered beforehand; anyone verifies a document against signatures and keys.
		api("GET", "/api/v1/deal/keys", dealUse, s.listDealKeys),
		api("POST", "/api/v1/deal/keys", dealSign, s.registerDealKey),
		{Method: "POST", Pattern: "/api/v1/deal/agreements", Access: dealUse, Handler: s.createAgreement, BodyLimit: dealBodyLimit},
		api("GET", "/api/v1/deal/agreements", dealUse, s.listAgreements),
		api("GET", "/api/v1/deal/agreements/{id}", dealUse, s.getAgreement),
		api("GET", "/api/v1/deal/agreements/{id}/document", dealUse, s.agreementDocument),
		api("GET", "/api/v1/deal/agreements/{id}/bundle", dealUse, s.agreementBundle),
		api("POST", "/api/v1/deal/agreements/{id}/signatures", dealSign, s.signAgreement),
		{Method: "POST", Pattern: "/api/v1/deal/verify", Access: public, Handler: s.verifyAgreement, BodyLimit: dealBodyLimit},
		// Status push: webhooks of an organisation and their delivery log.
		api("POST", "/api/v1/notify/webhooks", notifyAdmin, s.createWebhook),
		api("GET", "/api/v1/notify/webhooks", notifyAdmin, s.listWebhooks),
		api("DELETE", "/api/v1/notify/webhooks/{id}", notifyAdmin, s.deleteWebhook),
		api("GET", "/api/v1/notify/deliveries", notifyAdmin, s.listDeliveries),

		// Reference data.
		api("GET", "/api/v1/ref/currencies", public, s.refCurrencies),
		api("GET", "/api/v1/ref/currencies/{code}", public, s.refCurrency),
		api("GET", "/api/v1/ref/countries", public, s.refCountries),
		api("GET", "/api/v1/ref/countries/{code}", public, s.refCountry),
		api("GET", "/api/v1/ref/hs", public, s.refHSSearch),
		api("GET", "/api/v1/ref/hs/{code}", public, s.refHS),
		api("GET", "/api/v1/ref/locations", public, s.refLocations),
		api("GET", "/api/v1/ref/locations/{code}", public, s.refLocation),

		// Web pages.
		page("GET", "/static/", public, s.static),
		page("GET", "/login", public, s.ui.LoginPage),
		page("POST", "/login", public, s.ui.Login),
		page("POST", "/logout", anyUser, s.ui.Logout),
		page("GET", "/{$}", anyUser, s.ui.Home),
		page("GET", "/ref", anyUser, s.ui.RefPage),
		page("GET", "/ref/hs", anyUser, s.ui.RefHSPartial),
		page("GET", "/org", roles(admin, orgAdmin), s.ui.MyOrg),
		page("POST", "/org/users", roles(admin, orgAdmin), s.ui.CreateUser),
		page("POST", "/org/tokens", roles(admin, orgAdmin), s.ui.CreateToken),
		page("POST", "/org/tokens/{token}/revoke", roles(admin, orgAdmin), s.ui.RevokeToken),
		page("GET", "/obligations", invoiceHolders, s.ui.ObligationsPage),
		page("POST", "/obligations/invoices", invoiceHolders, s.ui.ObligationsCreate),
		{Method: "POST", Pattern: "/obligations/invoices/csv", Access: invoiceHolders, Handler: s.ui.ObligationsImport, Page: true, BodyLimit: obligationsBodyLimit + 64<<10},
		page("POST", "/obligations/invoices/{id}/confirm", invoiceHolders, s.ui.ObligationsConfirm),
		page("GET", "/obligations/runs", roles(admin), s.ui.ClearingRunsPage),
		page("POST", "/obligations/runs", roles(admin), s.ui.ObligationsRun),
		page("GET", "/obligations/runs/{id}", roles(admin, orgAdmin, identity.Trader), s.ui.ObligationRunPage),
		page("GET", "/admin/orgs", roles(admin), s.ui.Orgs),
		page("POST", "/admin/orgs", roles(admin), s.ui.CreateOrg),
		page("GET", "/audit", roles(admin, orgAdmin), s.ui.AuditLog),
		page("GET", "/ledger/issuance", roles(admin, identity.BankOperator), s.ui.Issuance),
		page("POST", "/ledger/issuance", roles(admin, identity.BankOperator), s.ui.IssuanceSet),
		page("GET", "/accounts", ledgerRoles, s.ui.Accounts),
		page("POST", "/accounts", ledgerRoles, s.ui.CreateAccount),
		page("GET", "/accounts/{id}", ledgerRoles, s.ui.AccountPage),
		page("POST", "/accounts/{id}/transfers", ledgerRoles, s.ui.AccountTransfer),
		page("POST", "/accounts/counterparties", ledgerRoles, s.ui.SaveCounterparty),
		page("POST", "/accounts/counterparties/{id}/delete", ledgerRoles, s.ui.DeleteCounterparty),
		page("GET", "/fx", anyUser, s.ui.FXBoard),
		page("POST", "/fx/quote", ledgerRoles, s.ui.FXQuote),
		page("POST", "/fx/convert", ledgerRoles, s.ui.FXConvert),
		page("GET", "/fx/publish", s.fxQuoting(), s.ui.FXPublish),
		page("POST", "/fx/publish/rate", s.fxQuoting(), s.ui.FXPublishRate),
		page("POST", "/fx/publish/fee", s.fxQuoting(), s.ui.FXSetFee),
		page("GET", "/fx/reference", anyUser, s.ui.FXReference),
		page("POST", "/fx/reference", fxReferencePublish, s.ui.FXReferencePublish),
		{Method: "POST", Pattern: "/fx/reference/csv", Access: fxReferencePublish, Handler: s.ui.FXReferenceImport, Page: true, BodyLimit: fxReferenceBodyLimit + 64<<10},
		page("GET", "/settlement", settleRead, s.ui.SettlementPage),
		page("POST", "/settlement/instructions", settleBank, s.ui.SettlementSubmit),
		{Method: "POST", Pattern: "/settlement/pacs008", Access: settleBank, Handler: s.ui.SettlementUpload, Page: true, BodyLimit: 33 << 20},
		page("POST", "/settlement/instructions/{e2e}/cancel", settleBank, s.ui.SettlementCancel),
		page("POST", "/settlement/cycles", settleCentre, s.ui.SettlementRun),
		page("POST", "/settlement/queue/{seq}/hold", settleCentre, s.ui.SettlementHold),
		page("POST", "/settlement/queue/{seq}/release", settleCentre, s.ui.SettlementRelease),
		page("POST", "/settlement/queue/{seq}/cancel", settleCentre, s.ui.SettlementCentreCancel),
		page("POST", "/settlement/participants", settleAdmin, s.ui.SettlementAdmit),
		// The one-stop trade service centre: declarations (traders, and the
		// administrators of companies and logistics operators, who act as
		// their declarant), the customs console and the quarantine queue.
		// Uploading forms carry up to three 10 MiB documents.
		page("GET", "/customs", customsDeclarant, s.ui.CustomsPage),
		page("GET", "/customs/new", customsDeclarant, s.ui.CustomsNew),
		{Method: "POST", Pattern: "/customs/new", Access: customsDeclarant, Handler: s.ui.CustomsCreate, Page: true, BodyLimit: 32 << 20},
		page("GET", "/customs/hs", customsDeclarant, s.ui.CustomsHSLookup),
		page("GET", "/customs/locations", customsDeclarant, s.ui.CustomsPostLookup),
		{Method: "POST", Pattern: "/customs/estimate", Access: customsDeclarant, Handler: s.ui.CustomsEstimate, Page: true, BodyLimit: 32 << 20},
		page("GET", "/customs/console", roles(identity.CustomsOfficer), s.ui.CustomsConsole),
		page("POST", "/customs/aeo", roles(identity.CustomsOfficer), s.ui.CustomsAEO),
		page("GET", "/customs/quarantine", roles(identity.QuarantineOfficer), s.ui.CustomsQuarantine),
		page("GET", "/customs/{id}", roles(identity.Trader, orgAdmin, identity.CustomsOfficer, identity.QuarantineOfficer), s.ui.CustomsDeclaration),
		page("GET", "/customs/{id}/live", roles(identity.Trader, orgAdmin, identity.CustomsOfficer, identity.QuarantineOfficer), s.ui.CustomsLive),
		page("GET", "/customs/{id}/documents/{doc}", roles(identity.Trader, orgAdmin, identity.CustomsOfficer, identity.QuarantineOfficer), s.ui.CustomsDocument),
		page("GET", "/customs/{id}/edit", customsDeclarant, s.ui.CustomsEdit),
		{Method: "POST", Pattern: "/customs/{id}/edit", Access: customsDeclarant, Handler: s.ui.CustomsAmend, Page: true, BodyLimit: 32 << 20},
		{Method: "POST", Pattern: "/customs/{id}/documents", Access: customsDeclarant, Handler: s.ui.CustomsAttach, Page: true, BodyLimit: 11 << 20},
		page("POST", "/customs/{id}/submit", customsDeclarant, s.ui.CustomsSubmit),
		page("POST", "/customs/{id}/cancel", customsDeclarant, s.ui.CustomsCancel),
		page("POST", "/customs/{id}/pay", customsDeclarant, s.ui.CustomsPay),
		page("POST", "/customs/{id}/guarantee", customsDeclarant, s.ui.CustomsGuarantee),
		page("POST", "/customs/{id}/present", roles(identity.CustomsOfficer), s.ui.CustomsPresent),
		page("POST", "/customs/{id}/decide", roles(identity.CustomsOfficer), s.ui.CustomsDecide),
		page("POST", "/customs/{id}/release", roles(identity.CustomsOfficer), s.ui.CustomsRelease),
		page("POST", "/customs/{id}/refuse", roles(identity.CustomsOfficer), s.ui.CustomsRefuse),
		page("POST", "/customs/{id}/refund", roles(identity.CustomsOfficer), s.ui.CustomsRefund),
		page("POST", "/customs/{id}/inspection", roles(identity.QuarantineOfficer), s.ui.CustomsInspect),
		page("POST", "/customs/{id}/hold", roles(identity.QuarantineOfficer), s.ui.CustomsHold),
		page("POST", "/customs/{id}/hold/release", roles(identity.QuarantineOfficer), s.ui.CustomsLiftHold),
		page("POST", "/customs/{id}/sps-refuse", roles(identity.QuarantineOfficer), s.ui.CustomsRefuseSPS),
		page("GET", "/settlement/cycles/{n}", settleRead, s.ui.SettlementCycle),
		// Bank guarantees: banks issue and release, declarants see theirs.
		page("GET", "/guarantees", roles(identity.BankOperator, identity.Trader, orgAdmin), s.ui.GuaranteesPage),
		page("POST", "/guarantees", roles(identity.BankOperator), s.ui.GuaranteeIssue),
		page("POST", "/guarantees/{id}/cancel", roles(identity.BankOperator), s.ui.GuaranteeCancel),
		// Bookings: browse, book, confirm, cancel; owners manage resources.
		page("GET", "/booking", bookingUse, s.ui.BookingPage),
		page("GET", "/booking/resources/{id}", bookingUse, s.ui.BookingResourcePage),
		page("POST", "/booking/resources/{id}/book", bookingUse, s.ui.BookingBook),
		page("POST", "/booking/resources/{id}/wait", bookingUse, s.ui.BookingWait),
		page("POST", "/booking/bookings/{id}/confirm", bookingUse, s.ui.BookingConfirm),
		page("POST", "/booking/bookings/{id}/cancel", bookingUse, s.ui.BookingCancel),
		page("GET", "/booking/manage", bookingOwner, s.ui.BookingManagePage),
		page("POST", "/booking/manage", bookingOwner, s.ui.BookingCreate),
		page("GET", "/booking/manage/{id}", bookingOwner, s.ui.BookingUsagePage),
		// Agreements: draft, sign, download; the verification page is public.
		page("GET", "/deal", dealUse, s.ui.DealPage),
		{Method: "POST", Pattern: "/deal/agreements", Access: dealUse, Handler: s.ui.DealCreate, Page: true, BodyLimit: dealBodyLimit},
		page("POST", "/deal/keys", dealSign, s.ui.DealRegisterKey),
		page("GET", "/deal/agreements/{id}", dealUse, s.ui.DealAgreementPage),
		page("GET", "/deal/agreements/{id}/document", dealUse, s.ui.DealDocument),
		page("GET", "/deal/agreements/{id}/bundle", dealUse, s.ui.DealBundle),
		page("POST", "/deal/agreements/{id}/sign", dealSign, s.ui.DealSign),
		page("GET", "/deal/verify", public, s.ui.DealVerifyPage),
		{Method: "POST", Pattern: "/deal/verify", Access: public, Handler: s.ui.DealVerify, Page: true, BodyLimit: dealBodyLimit},
		// Art zone: programme, performance, buy, my tickets, the door, sales.
		page("GET", "/festivals", anyUser, s.ui.FestivalsPage),
		page("POST", "/festivals", festivalVenue, s.ui.FestivalCreate),
		page("GET", "/festivals/{id}", anyUser, s.ui.FestivalPage),
		page("POST", "/festivals/{id}/performances", festivalVenue, s.ui.FestivalAddPerformance),
		page("GET", "/festival/performances/{id}", anyUser, s.ui.PerformancePage),
		page("POST", "/festival/performances/{id}/buy", festivalBuy, s.ui.FestivalBuy),
		page("GET", "/festival/performances/{id}/sales", festivalDoor, s.ui.FestivalSalesPage),
		page("POST", "/festival/performances/{id}/cancel", festivalVenue, s.ui.FestivalCancelPerformance),
		page("GET", "/festival/tickets", festivalBuy, s.ui.MyTicketsPage),
		page("GET", "/festival/tickets/{id}", festivalBuy, s.ui.TicketPage),
		page("POST", "/festival/tickets/{id}/cancel", festivalBuy, s.ui.FestivalCancel),
		page("GET", "/festival/door", festivalDoor, s.ui.DoorPage),
		page("POST", "/festival/door", festivalDoor, s.ui.DoorCheck),
		// Clinics: doctors and packages, booking, records, the room.
		page("GET", "/clinic", clinicRecords, s.ui.ClinicPage),
		page("GET", "/clinic/doctors/{id}", clinicBook, s.ui.ClinicDoctorPage),
		page("POST", "/clinic/doctors/{id}/book", clinicBook, s.ui.ClinicBook),
		page("POST", "/clinic/packages/{id}/book", clinicBook, s.ui.ClinicBookPackage),
		page("GET", "/clinic/day", clinicDoctor, s.ui.ClinicDayPage),
		page("GET", "/clinic/records", clinicRecords, s.ui.ClinicRecordsPage),
		page("GET", "/clinic/consultations/{id}", clinicRecords, s.ui.ClinicRecordPage),
		page("POST", "/clinic/consultations/{id}/notes", clinicDoctor, s.ui.ClinicAddNote),
		page("POST", "/clinic/consultations/{id}/prescriptions", clinicDoctor, s.ui.ClinicAddPrescription),
		page("POST", "/clinic/consultations/{id}/cancel", clinicRecords, s.ui.ClinicCancel),
		page("GET", "/clinic/consultations/{id}/room", clinicRecords, s.ui.ClinicRoomPage),
		// Education zone: the catalogue, enrolment, the provider's
		// enrolments and certificates, exchanges, the public verification.
		page("GET", "/education", anyUser, s.ui.EducationPage),
		page("POST", "/education/partners", eduAdmin, s.ui.EducationAddPartner),
		page("POST", "/education/programmes", eduAdmin, s.ui.EducationAddProgramme),
		page("POST", "/education/courses", eduAdmin, s.ui.EducationAddCourse),
		page("POST", "/education/courses/{id}/enrol", eduStudent, s.ui.EducationEnrol),
		page("POST", "/education/courses/{id}/wait", eduStudent, s.ui.EducationWait),
		page("GET", "/education/courses/{id}/enrolments", eduStaff, s.ui.EducationEnrolmentsPage),
		page("POST", "/education/enrolments/{id}/complete", eduStaff, s.ui.EducationComplete),
		page("POST", "/education/enrolments/{id}/certificate", eduStaff, s.ui.EducationCertify),
		page("POST", "/education/enrolments/{id}/withdraw", eduStudent, s.ui.EducationWithdraw),
		page("GET", "/education/mine", eduStudent, s.ui.EducationMinePage),
		page("GET", "/education/exchanges", eduPeople, s.ui.EducationExchangesPage),
		page("POST", "/education/exchanges", eduStudent, s.ui.EducationApply),
		page("POST", "/education/exchanges/{id}/decision", eduStaff, s.ui.EducationDecide),
		page("POST", "/education/exchanges/{id}/withdraw", eduStudent, s.ui.EducationWithdrawExchange),
		page("GET", "/education/verify", public, s.ui.EducationVerifyPage),
		// Expos: the list and floor plans, applications and fees, showcases,
		// the organiser's queue and scheduler, meetings and agendas.
		page("GET", "/expo", expoRead, s.ui.ExpoPage),
		page("POST", "/expo", expoOrganise, s.ui.ExpoCreate),
		page("GET", "/expo/{id}", expoRead, s.ui.ExpoDetail),
		page("POST", "/expo/{id}/apply", expoCompany, s.ui.ExpoApply),
		page("POST", "/expo/{id}/register", expoCompany, s.ui.ExpoRegister),
		page("POST", "/expo/{id}/pay", expoCompany, s.ui.ExpoPay),
		page("POST", "/expo/{id}/showcase", expoCompany, s.ui.ExpoShowcase),
		page("GET", "/expo/{id}/manage", expoOrganise, s.ui.ExpoManage),
		page("POST", "/expo/{id}/halls", expoOrganise, s.ui.ExpoHall),
		page("POST", "/expo/{id}/booths", expoOrganise, s.ui.ExpoBooth),
		page("POST", "/expo/{id}/applications/{app}/decide", expoOrganise, s.ui.ExpoDecide),
		page("POST", "/expo/{id}/applications/{app}/allocate", expoOrganise, s.ui.ExpoAllocate),
		page("POST", "/expo/{id}/schedule", expoOrganise, s.ui.ExpoSchedule),
		page("GET", "/expo/{id}/meetings", expoCompany, s.ui.ExpoMeetings),
		page("POST", "/expo/{id}/meetings", expoCompany, s.ui.ExpoRequest),
		page("POST", "/expo/{id}/meetings/{req}/answer", expoCompany, s.ui.ExpoAnswer),
		// Logistics: carriers publish departures, traders enter and book shipments.
		page("GET", "/logistics", roles(identity.Carrier, identity.Trader), s.ui.LogisticsPage),
		page("POST", "/logistics/departures", roles(identity.Carrier), s.ui.LogisticsPublish),
		page("POST", "/logistics/shipments", roles(identity.Trader), s.ui.LogisticsShipment),
		page("POST", "/logistics/shipments/{id}/book", roles(identity.Trader), s.ui.LogisticsBook),
		page("POST", "/logistics/shipments/{id}/cancel", roles(identity.Trader), s.ui.LogisticsCancel),
		// The marketplace: the catalogue with its search and facets, a
		// product's page, and a seller's own products.
		page("GET", "/market", anyUser, s.ui.MarketPage),
		page("GET", "/market/products/{id}", anyUser, s.ui.MarketProduct),
		page("GET", "/market/mine", marketSeller, s.ui.MarketMine),
		page("POST", "/market/mine", marketSeller, s.ui.MarketPublish),
		page("POST", "/market/mine/{id}", marketSeller, s.ui.MarketUpdate),
		page("POST", "/market/mine/{id}/contract", marketSeller, s.ui.MarketContract),
		page("GET", "/market/groups", marketSeller, s.ui.MarketGroups),
		page("POST", "/market/groups", marketSeller, s.ui.MarketGroupCreate),
		page("POST", "/market/groups/{id}", marketSeller, s.ui.MarketGroupRename),
		page("POST", "/market/groups/{id}/delete", marketSeller, s.ui.MarketGroupDelete),
		page("POST", "/market/groups/{id}/members", marketSeller, s.ui.MarketGroupAdd),
		page("POST", "/market/groups/{id}/members/{org}/remove", marketSeller, s.ui.MarketGroupRemove),
		page("GET", "/market/images/{id}", anyUser, s.serveMarketImage),
		{Method: "POST", Pattern: "/market/mine/{id}/images", Access: marketSeller, Handler: s.ui.MarketAddImage, Page: true, BodyLimit: marketImageBodyLimit},
		page("POST", "/market/mine/{id}/images/{image}/delete", marketSeller, s.ui.MarketDeleteImage),
		page("GET", "/logistics/departures/{id}", roles(identity.Carrier), s.ui.LogisticsDeparture),
		page("POST", "/logistics/departures/{id}", roles(identity.Carrier), s.ui.LogisticsUpdate),
		page("GET", "/logistics/shipments/{id}", logisticsRead, s.ui.LogisticsShipmentPage),
		page("GET", "/logistics/shipments/{id}/live", logisticsRead, s.ui.LogisticsShipmentLive),
		page("POST", "/logistics/shipments/{id}/events", roles(identity.Carrier), s.ui.LogisticsEvent),
		page("GET", "/logistics/dispatch", roles(admin), s.ui.LogisticsDispatch),
		page("POST", "/logistics/dispatch", roles(admin), s.ui.LogisticsPlan),
	}, s.orderRoutes()...)
}

package server

import (
	"net/http"

	"bricstown/internal/identity"
)

// Access says who may call a route. Exactly one of Public, AnyUser or Roles
// applies; the route-table test proves for every non-public route that an
// anonymous call and a call by a role outside Roles are refused.
type Access struct {
	Public  bool
	AnyUser bool
	Roles   []identity.Role
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

// routes is the whole HTTP surface of the platform, with who may call what.
func (s *Server) routes() []Route {
	api := func(method, pattern string, a Access, h http.HandlerFunc) Route {
		return Route{Method: method, Pattern: pattern, Access: a, Handler: h}
	}
	page := func(method, pattern string, a Access, h http.HandlerFunc) Route {
		return Route{Method: method, Pattern: pattern, Access: a, Handler: h, Page: true}
	}
	return []Route{
		// Operations.
		api("GET", "/healthz", public, s.healthz),
		api("GET", "/readyz", public, s.readyz),
		api("GET", "/metrics", public, s.metricsHandler),
		api("GET", "/api/v1/openapi.json", public, s.openapi),

		// Identity and access.
		api("GET", "/api/v1/me", anyUser, s.me),
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

		// FX in local currencies.
		api("POST", "/api/v1/fx/rates", fxPublish, s.publishRate),
		api("GET", "/api/v1/fx/rates", anyUser, s.fxBoard),
		api("GET", "/api/v1/fx/rates/history", anyUser, s.fxHistory),
		api("POST", "/api/v1/fx/fees", fxFees, s.setFee),
		api("POST", "/api/v1/fx/quotes", ledgerRoles, s.createQuote),
		api("GET", "/api/v1/fx/quotes/{id}", ledgerRoles, s.getQuote),
		api("POST", "/api/v1/fx/conversions", ledgerRoles, s.createConversion),
		api("GET", "/api/v1/fx/exposure", ledgerRoles, s.fxExposure),

		// Settlement.
		api("POST", "/api/v1/settlement/participants", settleAdmin, s.registerParticipant),
		api("GET", "/api/v1/settlement/participants", settleRead, s.listParticipants),
		{Method: "POST", Pattern: "/api/v1/settlement/instructions", Access: settleBank, Handler: s.submitInstructions, BodyLimit: 8 << 20},
		{Method: "POST", Pattern: "/api/v1/settlement/instructions/pacs008", Access: settleBank, Handler: s.importPacs008, BodyLimit: 32<<20 + 1},
		api("GET", "/api/v1/settlement/instructions", settleRead, s.listInstructions),
		api("GET", "/api/v1/settlement/instructions/{e2e}", settleRead, s.getInstruction),
		api("POST", "/api/v1/settlement/instructions/{e2e}/cancel", settleBank, s.cancelInstruction),
		api("POST", "/api/v1/settlement/cycles", settleAdmin, s.runCycle),
		api("GET", "/api/v1/settlement/cycles", settleRead, s.listCycles),
		api("GET", "/api/v1/settlement/cycles/{n}", settleRead, s.getCycle),
		api("GET", "/api/v1/settlement/cycles/{n}/report.csv", settleRead, s.cycleCSV),
		api("GET", "/api/v1/settlement/cycles/{n}/pacs009", settleRead, s.cyclePacs009),
		api("GET", "/api/v1/settlement/statement", settleBank, s.settlementStatement),

		// Obligation clearing (MTCS).
		{Method: "POST", Pattern: "/api/v1/obligations/invoices", Access: roles(identity.Trader, orgAdmin), Handler: s.createInvoices, BodyLimit: obligationsBodyLimit},
		{Method: "POST", Pattern: "/api/v1/obligations/invoices/csv", Access: roles(identity.Trader, orgAdmin), Handler: s.importInvoicesCSV, BodyLimit: obligationsBodyLimit},
		api("GET", "/api/v1/obligations/invoices", roles(admin, orgAdmin, identity.Trader), s.listInvoices),
		api("GET", "/api/v1/obligations/invoices/{id}", roles(admin, orgAdmin, identity.Trader), s.getInvoice),
		api("POST", "/api/v1/obligations/invoices/{id}/confirm", roles(identity.Trader, orgAdmin), s.confirmInvoice),
		api("POST", "/api/v1/obligations/runs", roles(admin), s.createRun),
		api("GET", "/api/v1/obligations/runs", roles(admin, orgAdmin, identity.Trader), s.listRuns),
		api("GET", "/api/v1/obligations/runs/{id}", roles(admin, orgAdmin, identity.Trader), s.getRun),

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
		page("GET", "/{$}", anyUser, s.ui.Overview),
		page("GET", "/ref", anyUser, s.ui.RefPage),
		page("GET", "/ref/hs", anyUser, s.ui.RefHSPartial),
		page("GET", "/org", roles(admin, orgAdmin), s.ui.MyOrg),
		page("POST", "/org/users", roles(admin, orgAdmin), s.ui.CreateUser),
		page("POST", "/org/tokens", roles(admin, orgAdmin), s.ui.CreateToken),
		page("POST", "/org/tokens/{token}/revoke", roles(admin, orgAdmin), s.ui.RevokeToken),
		page("GET", "/obligations", roles(admin, orgAdmin, identity.Trader), s.ui.ObligationsPage),
		page("POST", "/obligations/invoices", roles(identity.Trader, orgAdmin), s.ui.ObligationsCreate),
		{Method: "POST", Pattern: "/obligations/invoices/csv", Access: roles(identity.Trader, orgAdmin), Handler: s.ui.ObligationsImport, Page: true, BodyLimit: obligationsBodyLimit + 64<<10},
		page("POST", "/obligations/invoices/{id}/confirm", roles(identity.Trader, orgAdmin), s.ui.ObligationsConfirm),
		page("POST", "/obligations/runs", roles(admin), s.ui.ObligationsRun),
		page("GET", "/obligations/runs/{id}", roles(admin, orgAdmin, identity.Trader), s.ui.ObligationRunPage),
		page("GET", "/admin/orgs", roles(admin), s.ui.Orgs),
		page("POST", "/admin/orgs", roles(admin), s.ui.CreateOrg),
		page("GET", "/audit", roles(admin, orgAdmin), s.ui.AuditLog),
		page("GET", "/accounts", ledgerRoles, s.ui.Accounts),
		page("POST", "/accounts", ledgerRoles, s.ui.CreateAccount),
		page("GET", "/accounts/{id}", ledgerRoles, s.ui.AccountPage),
		page("POST", "/accounts/{id}/transfers", ledgerRoles, s.ui.AccountTransfer),
		page("GET", "/fx", anyUser, s.ui.FXBoard),
		page("POST", "/fx/quote", ledgerRoles, s.ui.FXQuote),
		page("POST", "/fx/convert", ledgerRoles, s.ui.FXConvert),
		page("GET", "/fx/publish", roles(identity.BankOperator), s.ui.FXPublish),
		page("POST", "/fx/publish/rate", roles(identity.BankOperator), s.ui.FXPublishRate),
		page("POST", "/fx/publish/fee", roles(identity.BankOperator), s.ui.FXSetFee),
		page("GET", "/settlement", settleRead, s.ui.SettlementPage),
		page("POST", "/settlement/instructions", settleBank, s.ui.SettlementSubmit),
		{Method: "POST", Pattern: "/settlement/pacs008", Access: settleBank, Handler: s.ui.SettlementUpload, Page: true, BodyLimit: 33 << 20},
		page("POST", "/settlement/instructions/{e2e}/cancel", settleBank, s.ui.SettlementCancel),
		page("POST", "/settlement/cycles", settleAdmin, s.ui.SettlementRun),
		page("POST", "/settlement/participants", settleAdmin, s.ui.SettlementAdmit),
		page("GET", "/settlement/cycles/{n}", settleRead, s.ui.SettlementCycle),
	}
}

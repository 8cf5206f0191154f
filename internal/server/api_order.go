package server

import (
	"context"
	"net/http"

	"bricstown/internal/identity"
	"bricstown/internal/order"
	"bricstown/internal/problem"
)

// Buying on the marketplace (issue 11): RFQs, quotes, direct orders and
// the integrated order with its escrow in the ledger. Each handler decodes,
// calls one order.Service method, encodes; who is buyer or seller of what
// is the service's rule.

// orderTrader buys and sells: a company's traders and administrators.
var orderTrader = narrowed(roles(identity.Trader, orgAdmin), func(_ context.Context, p *identity.Principal) bool {
	return order.CanTrade(p)
})

// orderRead reads an order: its parties (checked by the service) and the
// platform administrator, who rules on disputes.
var orderRead = roles(admin, orgAdmin, identity.Trader)

// orderOperator rules on disputes.
var orderOperator = roles(admin)

func (s *Server) orderReady(w http.ResponseWriter, r *http.Request) bool {
	if s.Order == nil {
		writeProblem(w, r, s.log, problem.New(problem.Unavailable, "buying is not available"))
		return false
	}
	return true
}

// orderCall decodes a body into In (none for noBody), calls fn and
// writes its result with status.
func orderCall[In, Out any](s *Server, status int, fn func(ctx context.Context, p *identity.Principal, id string, in In) (Out, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.orderReady(w, r) {
			return
		}
		var in In
		if _, none := any(in).(noBody); !none && r.Method == http.MethodPost {
			if err := decodeJSON(r, &in); err != nil {
				writeProblem(w, r, s.log, err)
				return
			}
		}
		out, err := fn(r.Context(), principal(r), r.PathValue("id"), in)
		if err != nil {
			writeProblem(w, r, s.log, err)
			return
		}
		writeJSON(w, status, out)
	}
}

type noBody struct{}

// rfqWithQuotes is an RFQ and the quotes the caller may see.
type rfqWithQuotes struct {
	order.RFQ
	QuoteList []order.Quote `json:"quote_list"`
}

type listOf[T any] struct {
	Items []T `json:"items"`
}

func orderItems[T any](xs []T) listOf[T] {
	if xs == nil {
		xs = []T{}
	}
	return listOf[T]{Items: xs}
}

func (s *Server) orderRoutes() []Route {
	api := func(method, pattern string, a Access, h http.HandlerFunc) Route {
		return Route{Method: method, Pattern: pattern, Access: a, Handler: h}
	}
	page := func(method, pattern string, a Access, h http.HandlerFunc) Route {
		return Route{Method: method, Pattern: pattern, Access: a, Handler: h, Page: true}
	}
	o := s.Order
	call := func(f func(ctx context.Context, p *identity.Principal, id string) (order.View, error)) http.HandlerFunc {
		return orderCall(s, http.StatusOK, func(ctx context.Context, p *identity.Principal, id string, _ noBody) (order.View, error) {
			return f(ctx, p, id)
		})
	}
	return []Route{
		api("GET", "/api/v1/market/rfqs", orderTrader, orderCall(s, http.StatusOK, func(ctx context.Context, p *identity.Principal, _ string, _ noBody) (listOf[order.RFQ], error) {
			list, err := o.MyRFQs(ctx, p)
			return orderItems(list), err
		})),
		api("GET", "/api/v1/market/rfqs/open", orderTrader, orderCall(s, http.StatusOK, func(ctx context.Context, p *identity.Principal, _ string, _ noBody) (listOf[order.RFQ], error) {
			list, err := o.OpenRFQs(ctx, p)
			return orderItems(list), err
		})),
		api("POST", "/api/v1/market/rfqs", orderTrader, orderCall(s, http.StatusCreated, func(ctx context.Context, p *identity.Principal, _ string, in order.RFQInput) (order.RFQ, error) {
			return o.PostRFQ(ctx, p, in)
		})),
		api("GET", "/api/v1/market/rfqs/{id}", orderTrader, orderCall(s, http.StatusOK, func(ctx context.Context, p *identity.Principal, id string, _ noBody) (rfqWithQuotes, error) {
			r, qs, err := o.RFQ(ctx, p, id)
			if qs == nil {
				qs = []order.Quote{}
			}
			return rfqWithQuotes{RFQ: r, QuoteList: qs}, err
		})),
		api("POST", "/api/v1/market/rfqs/{id}/quotes", orderTrader, orderCall(s, http.StatusCreated, o.SubmitQuote)),
		api("GET", "/api/v1/market/quotes", orderTrader, orderCall(s, http.StatusOK, func(ctx context.Context, p *identity.Principal, _ string, _ noBody) (listOf[order.Quote], error) {
			list, err := o.MyQuotes(ctx, p)
			return orderItems(list), err
		})),
		api("POST", "/api/v1/market/quotes/{id}/accept", orderTrader, orderCall(s, http.StatusCreated, func(ctx context.Context, p *identity.Principal, id string, _ noBody) (order.Order, error) {
			return o.AcceptQuote(ctx, p, id)
		})),
		api("GET", "/api/v1/market/orders", orderTrader, func(w http.ResponseWriter, r *http.Request) {
			orderCall(s, http.StatusOK, func(ctx context.Context, p *identity.Principal, _ string, _ noBody) (listOf[order.Order], error) {
				list, err := o.Orders(ctx, p, r.URL.Query().Get("side"))
				return orderItems(list), err
			})(w, r)
		}),
		api("POST", "/api/v1/market/orders", orderTrader, orderCall(s, http.StatusCreated, func(ctx context.Context, p *identity.Principal, _ string, in order.DirectInput) (order.Order, error) {
			return o.OrderDirect(ctx, p, in)
		})),
		api("GET", "/api/v1/market/orders/{id}", orderRead, call(o.Get)),
		api("POST", "/api/v1/market/orders/{id}/pay", orderTrader, orderCall(s, http.StatusOK, o.Pay)),
		api("POST", "/api/v1/market/orders/{id}/confirm", orderTrader, orderCall(s, http.StatusOK, o.Confirm)),
		api("POST", "/api/v1/market/orders/{id}/ship", orderTrader, call(o.Ship)),
		api("POST", "/api/v1/market/orders/{id}/deliver", orderTrader, call(o.ConfirmDelivery)),
		api("POST", "/api/v1/market/orders/{id}/release", orderTrader, call(o.SellerRelease)),
		api("POST", "/api/v1/market/orders/{id}/cancel", orderTrader, orderCall(s, http.StatusOK, o.Cancel)),
		api("POST", "/api/v1/market/orders/{id}/dispute", orderTrader, orderCall(s, http.StatusOK, o.OpenDispute)),
		api("POST", "/api/v1/market/orders/{id}/rule", orderOperator, orderCall(s, http.StatusOK, o.Rule)),
		api("POST", "/api/v1/market/orders/{id}/review", orderTrader, orderCall(s, http.StatusCreated, o.AddReview)),
		api("GET", "/api/v1/market/disputes", orderOperator, orderCall(s, http.StatusOK, func(ctx context.Context, p *identity.Principal, _ string, _ noBody) (listOf[order.Order], error) {
			list, err := o.Disputes(ctx, p)
			return orderItems(list), err
		})),
		page("GET", "/market/rfqs", orderTrader, s.ui.OrderHome),
		page("POST", "/market/rfqs", orderTrader, s.ui.OrderPostRFQ),
		page("GET", "/market/rfqs/{id}", orderTrader, s.ui.OrderRFQPage),
		page("POST", "/market/rfqs/{id}/quote", orderTrader, s.ui.OrderQuote),
		page("POST", "/market/quotes/{id}/accept", orderTrader, s.ui.OrderAccept),
		page("GET", "/market/orders/{id}", orderRead, s.ui.OrderPage),
		page("POST", "/market/orders/{id}/{act}", orderRead, s.ui.OrderAct),
		api("GET", "/api/v1/market/sellers/{id}/reviews", orderTrader, orderCall(s, http.StatusOK, func(ctx context.Context, p *identity.Principal, id string, _ noBody) (listOf[order.Review], error) {
			list, err := o.SellerReviews(ctx, p, id)
			return orderItems(list), err
		})),
	}
}

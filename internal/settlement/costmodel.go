package settlement

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math/big"
	"math/bits"
	"slices"
	"strings"
)

// The cost comparison a cycle report shows: what its settled payments
// would have cost sent one by one through USD correspondent banks, against
// what the town's route cost (each pair's net residual converted once, a
// fee per settlement transfer). Every parameter carries the public source
// it was taken from, or says that none was found and what was assumed, and
// a low-high range; the report gives the estimate at the default values
// and the range of the saving over the low, default and high scenarios,
// so that the page never shows one precise-looking saving from unsourced
// numbers. docs/COSTMODEL.md explains the model.

//go:embed costmodel.json
var defaultCostModelJSON []byte

// CostSource is one published document a parameter was taken from.
type CostSource struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Publisher string `json:"publisher"`
	Date      string `json:"date"`
	URL       string `json:"url"`
}

// CostParam is one parameter of the model: its default value and a range.
// Sources name CostSource ids; Assumed says no public source was found.
type CostParam struct {
	Value   int64    `json:"value"`
	Low     int64    `json:"low"`
	High    int64    `json:"high"`
	Sources []string `json:"sources,omitempty"`
	Assumed bool     `json:"assumed,omitempty"`
	Note    string   `json:"note"`
}

// Scenario selects the low, default or high value of every parameter.
type Scenario int

// The scenarios, in the order the report's ranges are computed.
const (
	ScenarioLow Scenario = iota
	ScenarioDefault
	ScenarioHigh
)

// At is the parameter's value in scenario s.
func (p CostParam) At(s Scenario) int64 {
	switch s {
	case ScenarioLow:
		return p.Low
	case ScenarioHigh:
		return p.High
	}
	return p.Value
}

// CostModel is the parameter set (see costmodel.json for the defaults and
// their sources). Margins are in basis points of the converted value per
// conversion leg against USD ("*" for a currency without its own entry);
// DirectMargins price a pair that trades without USD ("AAA/BBB", sorted).
type CostModel struct {
	Version                 string               `json:"version"`
	Reporting               string               `json:"reporting"`
	Sources                 []CostSource         `json:"sources"`
	SendFeeBps              CostParam            `json:"send_fee_bps"`
	SendFeeMinUSDCents      CostParam            `json:"send_fee_min_usd_cents"`
	SendFeeMaxUSDCents      CostParam            `json:"send_fee_max_usd_cents"`
	IntermediaryFeeUSDCents CostParam            `json:"intermediary_fee_usd_cents"`
	TownTransferFee         CostParam            `json:"town_transfer_fee"` // reporting minor units per settlement transfer
	Margins                 map[string]CostParam `json:"margins"`
	DirectMargins           map[string]CostParam `json:"direct_margins"`
}

// DefaultCostModel is the embedded model with cited defaults.
func DefaultCostModel() *CostModel {
	m, err := ParseCostModel(defaultCostModelJSON)
	if err != nil {
		panic("settlement: embedded cost model is broken: " + err.Error())
	}
	return m
}

// ParseCostModel reads and checks a model (serve's -cost-model file has
// the embedded file's shape). Every parameter needs low <= value <= high,
// no negative values, margins of at most 100%, and either a known source
// or assumed=true: a figure cannot be unexplained.
func ParseCostModel(b []byte) (*CostModel, error) {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var m CostModel
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("cost model: %w", err)
	}
	if len(m.Reporting) != 3 || strings.ToUpper(m.Reporting) != m.Reporting {
		return nil, fmt.Errorf("cost model: reporting currency %q is not an ISO 4217 code", m.Reporting)
	}
	known := map[string]bool{}
	for _, s := range m.Sources {
		if s.ID == "" || s.Title == "" || s.Publisher == "" || s.URL == "" {
			return nil, fmt.Errorf("cost model: source %q needs id, title, publisher and url", s.ID)
		}
		known[s.ID] = true
	}
	check := func(name string, p CostParam, maxValue int64) error {
		switch {
		case p.Low < 0 || p.Low > p.Value || p.Value > p.High:
			return fmt.Errorf("cost model: %s needs 0 <= low <= value <= high", name)
		case maxValue > 0 && p.High > maxValue:
			return fmt.Errorf("cost model: %s above %d", name, maxValue)
		case len(p.Sources) == 0 && !p.Assumed && p.High != 0:
			return fmt.Errorf("cost model: %s has no source and is not marked assumed", name)
		}
		for _, id := range p.Sources {
			if !known[id] {
				return fmt.Errorf("cost model: %s cites unknown source %q", name, id)
			}
		}
		return nil
	}
	for _, x := range []struct {
		name string
		p    CostParam
		max  int64
	}{{"send_fee_bps", m.SendFeeBps, 10000}, {"send_fee_min_usd_cents", m.SendFeeMinUSDCents, 0},
		{"send_fee_max_usd_cents", m.SendFeeMaxUSDCents, 0}, {"intermediary_fee_usd_cents", m.IntermediaryFeeUSDCents, 0},
		{"town_transfer_fee", m.TownTransferFee, 0}} {
		if err := check(x.name, x.p, x.max); err != nil {
			return nil, err
		}
	}
	for _, s := range []Scenario{ScenarioLow, ScenarioDefault, ScenarioHigh} {
		if m.SendFeeMinUSDCents.At(s) > m.SendFeeMaxUSDCents.At(s) {
			return nil, fmt.Errorf("cost model: send fee minimum above its maximum")
		}
	}
	if _, ok := m.Margins["*"]; !ok {
		return nil, fmt.Errorf(`cost model: margins need a "*" entry for other currencies`)
	}
	for k, p := range m.Margins {
		if err := check("margins."+k, p, 10000); err != nil {
			return nil, err
		}
	}
	for k, p := range m.DirectMargins {
		a, b, ok := strings.Cut(k, "/")
		if !ok || a >= b {
			return nil, fmt.Errorf("cost model: direct margin %q must be AAA/BBB in alphabetical order", k)
		}
		if err := check("direct_margins."+k, p, 10000); err != nil {
			return nil, err
		}
	}
	return &m, nil
}

// margin is one conversion leg between ccy and USD.
func (m *CostModel) margin(s Scenario, ccy string) int64 {
	if ccy == "USD" {
		return 0
	}
	if p, ok := m.Margins[ccy]; ok {
		return p.At(s)
	}
	return m.Margins["*"].At(s)
}

// pairMargin is what converting between a and b costs: the direct market
// where one exists, else both legs through USD.
func (m *CostModel) pairMargin(s Scenario, a, b string) int64 {
	if a == b {
		return 0
	}
	k := a + "/" + b
	if b < a {
		k = b + "/" + a
	}
	if p, ok := m.DirectMargins[k]; ok {
		return p.At(s)
	}
	return m.margin(s, a) + m.margin(s, b)
}

// SendFee is the sending bank's commission on one payment: its percentage
// of amount, kept between min and max (all in the payment's minor units).
func (m *CostModel) SendFee(s Scenario, amount, min, max int64) int64 {
	b := m.SendFeeBps.At(s)
	if amount >= 0 && b >= 0 && b <= 10000 {
		// The common case without math/big (a cycle prices every payment,
		// a million of them in bench settlement): the 128-bit product's high
		// word is below 10,000, and the quotient is at most amount.
		hi, lo := bits.Mul64(uint64(amount), uint64(b))
		q, _ := bits.Div64(hi, lo, 10000)
		return max64(min, min64(max, int64(q)))
	}
	f := bps(amount, b)
	switch {
	case f.Cmp(big.NewInt(min)) < 0:
		return min
	case f.Cmp(big.NewInt(max)) > 0:
		return max
	}
	return f.Int64()
}

// CostFlow is the cycle's settled payments from one currency into one
// payee currency, valued in the reporting currency.
type CostFlow struct {
	Currency, PayeeCurrency string
	Count                   int
	Value                   int64    // sum of the payments, reporting minor units
	SendFees                [3]int64 // the sending bank's commissions per Scenario, reporting minor units
}

// CostResidual is one pair's net residual the town converted, valued in
// the reporting currency.
type CostResidual struct {
	A, B  string
	Value int64
}

// CostInput is what the model needs of a cycle. USDCents values USD cents
// in reporting minor units (ok=false when there is no price).
type CostInput struct {
	Flows     []CostFlow
	Residuals []CostResidual
	Transfers int
	USDCents  func(cents int64) (int64, bool)
}

// Estimate prices both routes in every scenario. The figures are the
// default scenario's; Range holds the lowest and highest of each over the
// three scenarios (the saving's low end is the least favourable to the
// town).
func (m *CostModel) Estimate(in CostInput) CostFigures {
	var usd, local [3]int64
	for s := ScenarioLow; s <= ScenarioHigh; s++ {
		var u, l big.Int
		inter, ok := in.USDCents(m.IntermediaryFeeUSDCents.At(s))
		for _, f := range in.Flows {
			u.Add(&u, big.NewInt(f.SendFees[s]))
			if ok {
				u.Add(&u, new(big.Int).Mul(big.NewInt(inter), big.NewInt(int64(f.Count))))
			}
			if f.Currency != f.PayeeCurrency {
				// Both legs through USD: into USD and out of it.
				u.Add(&u, bps(f.Value, m.margin(s, f.Currency)+m.margin(s, f.PayeeCurrency)))
			}
		}
		for _, r := range in.Residuals {
			l.Add(&l, bps(r.Value, m.pairMargin(s, r.A, r.B)))
		}
		l.Add(&l, new(big.Int).Mul(big.NewInt(m.TownTransferFee.At(s)), big.NewInt(int64(in.Transfers))))
		usd[s], local[s] = clampInt64(&u), clampInt64(&l)
	}
	out := CostFigures{Currency: m.Reporting, Model: m.Version}
	var saving, savingBps [3]int64
	for s := range 3 {
		saving[s] = usd[s] - local[s]
		if usd[s] > 0 {
			savingBps[s] = new(big.Int).Quo(new(big.Int).Mul(big.NewInt(saving[s]), big.NewInt(10000)), big.NewInt(usd[s])).Int64()
		}
	}
	d := ScenarioDefault
	out.USDRoute, out.Local, out.Saving, out.SavingBps = usd[d], local[d], saving[d], savingBps[d]
	out.Range = &CostRange{USDRoute: minMax(usd), Local: minMax(local), Saving: minMax(saving), SavingBps: minMax(savingBps)}
	return out
}

func minMax(x [3]int64) [2]int64 { return [2]int64{slices.Min(x[:]), slices.Max(x[:])} }

// clampInt64 keeps an absurd total representable (the estimate is a
// report figure, never a posting).
func clampInt64(x *big.Int) int64 {
	if x.IsInt64() {
		return x.Int64()
	}
	if x.Sign() < 0 {
		return -1 << 63
	}
	return 1<<63 - 1
}

func min64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

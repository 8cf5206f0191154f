package netting

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"bricstown/internal/problem"
)

func in(id int64, payer, payee int32, cur, pcur int32, amt int64) Instruction {
	return Instruction{ID: id, Payer: payer, Payee: payee, Currency: cur, PayeeCurrency: pcur, Amount: amt, Priority: id}
}

func rates2(num, den int64) RateTable {
	return RateTable{Currencies: 2, Table: []Rate{{}, {Num: num, Den: den}, {}, {}}}
}

func TestNetTable(t *testing.T) {
	type want struct {
		pos       []int64
		fx, round []int64
		gross     []int64
		net       []int64
		saving    []int64
		pairs     []PairFX
		transfers [3]int // participant, FX legs, rounding
	}
	tests := []struct {
		name string
		cfg  Config
		ins  []Instruction
		want want
	}{
		{
			name: "bilateral one currency",
			cfg:  Config{Participants: 2, Currencies: 1},
			ins:  []Instruction{in(0, 0, 1, 0, 0, 100), in(1, 1, 0, 0, 0, 60)},
			want: want{
				pos: []int64{-40, 40}, fx: []int64{0}, round: []int64{0},
				gross: []int64{160}, net: []int64{40}, saving: []int64{7500},
				transfers: [3]int{2, 0, 0},
			},
		},
		{
			name: "cycle nets to nothing",
			cfg:  Config{Participants: 3, Currencies: 1},
			ins:  []Instruction{in(0, 0, 1, 0, 0, 100), in(1, 1, 2, 0, 0, 100), in(2, 2, 0, 0, 0, 100)},
			want: want{
				pos: []int64{0, 0, 0}, fx: []int64{0}, round: []int64{0},
				gross: []int64{300}, net: []int64{0}, saving: []int64{10000},
			},
		},
		{
			// 1 A = 2 B. 0 pays 100 A to 1 who wants B (200 B); 2 pays
			// 150 B to 3 who wants A (75 A). The institution is long 25 A
			// and short 50 B: one trade, 25 A for 50 B.
			name: "cross currency nets to one trade",
			cfg:  Config{Participants: 4, Currencies: 2, Rates: rates2(2, 1)},
			ins:  []Instruction{in(0, 0, 1, 0, 1, 100), in(1, 2, 3, 1, 0, 150)},
			want: want{
				pos:   []int64{-100, 0, 0, 200, 0, -150, 75, 0},
				fx:    []int64{25, -50},
				round: []int64{0, 0},
				gross: []int64{100 + 75, 150 + 200}, net: []int64{100, 200},
				saving: []int64{(175 - 100) * 10000 / 175, (350 - 200) * 10000 / 350},
				pairs: []PairFX{{A: 0, B: 1, GrossAB: 100, CreditAB: 200, GrossBA: 150, CreditBA: 75,
					Sell: 0, SellAmount: 25, BuyAmount: 50, SavingBps: 8571}},
				transfers: [3]int{4, 2, 0},
			},
		},
		{
			// 3 A = 1 B. Payments of 2, 2 and 3 A are credited 0, 0 and 1 B;
			// the trade converts the 7 A once into 2 B, and the 1 B the
			// payees did not get stays with the institution.
			name: "rounding stays with the institution",
			cfg:  Config{Participants: 2, Currencies: 2, Rates: rates2(1, 3)},
			ins:  []Instruction{in(0, 0, 1, 0, 1, 2), in(1, 0, 1, 0, 1, 2), in(2, 0, 1, 0, 1, 3)},
			want: want{
				pos: []int64{-7, 0, 0, 1}, fx: []int64{7, -2}, round: []int64{0, 1},
				gross: []int64{7, 1}, net: []int64{7, 2}, saving: []int64{0, 0},
				pairs: []PairFX{{A: 0, B: 1, GrossAB: 7, CreditAB: 1, Sell: 0, SellAmount: 7, BuyAmount: 2,
					RoundingB: 1, SavingBps: 0}},
				transfers: [3]int{2, 2, 1},
			},
		},
		{
			// 3 A = 1 B and credits of 0 B: nothing is owed in B, so there
			// is no trade and the A stays as rounding.
			name: "credits rounded to zero need no trade",
			cfg:  Config{Participants: 2, Currencies: 2, Rates: rates2(1, 3)},
			ins:  []Instruction{in(0, 0, 1, 0, 1, 2), in(1, 0, 1, 0, 1, 2)},
			want: want{
				pos: []int64{-4, 0, 0, 0}, fx: []int64{0, 0}, round: []int64{4, 0},
				gross: []int64{4, 0}, net: []int64{4, 0}, saving: []int64{0, 0},
				pairs:     []PairFX{{A: 0, B: 1, GrossAB: 4, Sell: -1, RoundingA: 4, SavingBps: 10000}},
				transfers: [3]int{1, 0, 1},
			},
		},
		{
			// 2 A = 3 B. 1 A -> 1 B and 1 B -> 0 A: both sides covered by
			// rounding alone, so no trade.
			name: "no trade when neither side is short",
			cfg:  Config{Participants: 2, Currencies: 2, Rates: rates2(3, 2)},
			ins:  []Instruction{in(0, 0, 1, 0, 1, 1), in(1, 1, 0, 1, 0, 1)},
			want: want{
				pos: []int64{-1, 0, 0, 0}, fx: []int64{0, 0}, round: []int64{1, 0},
				gross: []int64{1, 2}, net: []int64{1, 0}, saving: []int64{0, 10000},
				pairs: []PairFX{{A: 0, B: 1, GrossAB: 1, CreditAB: 1, GrossBA: 1, CreditBA: 0,
					Sell: -1, RoundingA: 1, SavingBps: 10000}},
				transfers: [3]int{1, 0, 1},
			},
		},
		{
			name: "own-account conversion",
			cfg:  Config{Participants: 1, Currencies: 2, Rates: rates2(5, 1)},
			ins:  []Instruction{in(0, 0, 0, 0, 1, 10)},
			want: want{
				pos: []int64{-10, 50}, fx: []int64{10, -50}, round: []int64{0, 0},
				gross: []int64{10, 50}, net: []int64{10, 50}, saving: []int64{0, 0},
				pairs:     []PairFX{{A: 0, B: 1, GrossAB: 10, CreditAB: 50, Sell: 0, SellAmount: 10, BuyAmount: 50}},
				transfers: [3]int{2, 2, 0},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Net(tt.cfg, tt.ins)
			if err != nil {
				t.Fatal(err)
			}
			w := tt.want
			check := func(name string, got, want any) {
				t.Helper()
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			check("Position", r.Position, w.pos)
			check("FXProvider", r.FXProvider, w.fx)
			check("Rounding", r.Rounding, w.round)
			check("Gross", r.Gross, w.gross)
			check("NetValue", r.NetValue, w.net)
			check("SavingBps", r.SavingBps, w.saving)
			check("Pairs", r.Pairs, w.pairs)
			check("transfers", [3]int{r.ParticipantTransfers, r.FXLegs, r.RoundingTransfers}, w.transfers)
			if r.Transfers != w.transfers[0]+w.transfers[1]+w.transfers[2] {
				t.Errorf("Transfers = %d", r.Transfers)
			}
			if r.Settled != len(tt.ins) || len(r.Deferred) != 0 {
				t.Errorf("Settled %d Deferred %v", r.Settled, r.Deferred)
			}
			checkLedger(t, tt.cfg, tt.ins, r)
		})
	}
}

func TestNetErrors(t *testing.T) {
	ok := Config{Participants: 2, Currencies: 2, Rates: rates2(1, 1)}
	tests := []struct {
		name  string
		cfg   Config
		ins   []Instruction
		cause error
		code  problem.Code
		field string
	}{
		{"no participants", Config{Currencies: 1}, nil, ErrInvalid, problem.Invalid, "participants"},
		{"no currencies", Config{Participants: 1}, nil, ErrInvalid, problem.Invalid, "currencies"},
		{"too many cells", Config{Participants: 1 << 20, Currencies: 100}, nil, ErrInvalid, problem.Invalid, "participants"},
		{"payer out of range", ok, []Instruction{in(0, 2, 0, 0, 0, 1)}, ErrInvalid, problem.Invalid, "instructions[0].payer"},
		{"negative payee", ok, []Instruction{in(0, 0, -1, 0, 0, 1)}, ErrInvalid, problem.Invalid, "instructions[0].payee"},
		{"currency out of range", ok, []Instruction{in(0, 0, 1, 2, 0, 1)}, ErrInvalid, problem.Invalid, "instructions[0].currency"},
		{"payee currency out of range", ok, []Instruction{in(0, 0, 1, 0, 9, 1)}, ErrInvalid, problem.Invalid, "instructions[0].payee_currency"},
		{"zero amount", ok, []Instruction{in(0, 0, 1, 0, 0, 0)}, ErrInvalid, problem.Invalid, "instructions[0].amount"},
		{"negative amount", ok, []Instruction{in(0, 0, 1, 0, 0, -5)}, ErrInvalid, problem.Invalid, "instructions[0].amount"},
		{"ID not dense", ok, []Instruction{in(0, 0, 1, 0, 0, 1), in(2, 0, 1, 0, 0, 1)}, ErrInvalid, problem.Invalid, "instructions[1].id"},
		{"duplicate ID", ok, []Instruction{in(1, 0, 1, 0, 0, 1), in(1, 0, 1, 0, 0, 1)}, ErrInvalid, problem.Invalid, "instructions[1].id"},
		{"self payment", ok, []Instruction{in(0, 1, 1, 0, 0, 1)}, ErrInvalid, problem.Invalid, "instructions[0].payee"},
		{"cross currency without rates", Config{Participants: 2, Currencies: 2},
			[]Instruction{in(0, 0, 1, 0, 1, 1)}, ErrInvalid, problem.Invalid, "rates"},
		{"missing rate", Config{Participants: 2, Currencies: 2, Rates: RateTable{Currencies: 2, Table: make([]Rate, 4)}},
			[]Instruction{in(0, 0, 1, 1, 0, 1)}, ErrRate, problem.Internal, ""},
		{"non-positive rate", Config{Participants: 2, Currencies: 2, Rates: rates2(0, 5)},
			[]Instruction{in(0, 0, 1, 0, 1, 1)}, ErrRate, problem.Internal, ""},
		{"debit overflow", ok, []Instruction{in(0, 0, 1, 0, 0, math.MaxInt64), in(1, 0, 1, 1, 1, 1), in(2, 0, 1, 0, 0, 1)},
			ErrOverflow, problem.Invalid, "instructions[2]"},
		{"credit overflow", Config{Participants: 3, Currencies: 1},
			[]Instruction{in(0, 0, 2, 0, 0, math.MaxInt64), in(1, 1, 2, 0, 0, 1)}, ErrOverflow, problem.Invalid, "instructions[1]"},
		{"conversion overflow", Config{Participants: 2, Currencies: 2, Rates: rates2(3, 2)},
			[]Instruction{in(0, 0, 1, 0, 1, math.MaxInt64/3*2+2)}, ErrOverflow, problem.Invalid, "instructions[0].amount"},
		{"FX volume overflow", Config{Participants: 3, Currencies: 2, Rates: rates2(1, 1<<40)},
			[]Instruction{in(0, 0, 2, 0, 1, math.MaxInt64), in(1, 1, 2, 0, 1, 1)}, ErrOverflow, problem.Invalid, "instructions[1]"},
		{"volume overflow across payers", Config{Participants: 3, Currencies: 1},
			[]Instruction{in(0, 0, 1, 0, 0, math.MaxInt64), in(1, 1, 2, 0, 0, 1)}, ErrOverflow, problem.Invalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Net(tt.cfg, tt.ins)
			if !errors.Is(err, tt.cause) {
				t.Fatalf("err = %v, want %v", err, tt.cause)
			}
			if got := problem.CodeOf(err); got != tt.code {
				t.Errorf("code = %s, want %s", got, tt.code)
			}
			if tt.field != "" {
				var pe *problem.Error
				if !errors.As(err, &pe) || pe.Fields[tt.field] == "" {
					t.Errorf("err %v does not name field %q", err, tt.field)
				}
			}
		})
	}
}

type failingRates struct{ err error }

func (f failingRates) Rate(int, int) (Rate, error) { return Rate{}, f.err }

func TestRateSourceErrorKeepsItsCode(t *testing.T) {
	cause := problem.New(problem.Unavailable, "rate feed down")
	_, err := Net(Config{Participants: 2, Currencies: 2, Rates: failingRates{cause}},
		[]Instruction{in(0, 0, 1, 0, 1, 10)})
	if !errors.Is(err, cause) || problem.CodeOf(err) != problem.Unavailable {
		t.Fatalf("err = %v (code %s)", err, problem.CodeOf(err))
	}
}

// countingRates counts calls, to show a pair's rate is fetched once and
// only for base < quote.
type countingRates struct {
	RateTable
	calls map[[2]int]int
}

func (c *countingRates) Rate(base, quote int) (Rate, error) {
	c.calls[[2]int{base, quote}]++
	return c.RateTable.Rate(base, quote)
}

func TestRateFetchedOncePerPair(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cr := &countingRates{RateTable: genRates(rng, 4, 100), calls: map[[2]int]int{}}
	ins := genInstructions(rng, genSpec{P: 5, C: 4, N: 500, CrossPct: 80, MaxAmount: 1e6})
	if _, err := Net(Config{Participants: 5, Currencies: 4, Rates: cr}, ins); err != nil {
		t.Fatal(err)
	}
	for k, n := range cr.calls {
		if k[0] >= k[1] || n != 1 {
			t.Errorf("Rate%v called %d times", k, n)
		}
	}
	if len(cr.calls) != 6 {
		t.Errorf("%d pairs fetched, want 6", len(cr.calls))
	}
}

func TestNetEmpty(t *testing.T) {
	r, err := Net(Config{Participants: 3, Currencies: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Transfers != 0 || len(r.Pairs) != 0 || r.Gross[0] != 0 || r.SavingBps[1] != 0 {
		t.Fatalf("unexpected %+v", r)
	}
}

// TestNetProperties checks random cycles against the math/big oracle:
// exact positions, the pair trade rule, books balancing per currency
// including the FX provider and rounding, and independence from input
// order.
func TestNetProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for iter := 0; iter < 300; iter++ {
		spec := genSpec{
			P: 1 + rng.IntN(12), C: 1 + rng.IntN(5), N: rng.IntN(400),
			CrossPct: rng.IntN(101), MaxAmount: []int64{10, 1000, 1 << 40}[rng.IntN(3)],
			MaxRate: []int64{3, 1000, 1 << 20}[rng.IntN(3)],
		}
		if spec.P == 1 && spec.C == 1 {
			spec.C = 2
		}
		cfg, ins := genCycle(rng, spec)
		r, err := Net(cfg, ins)
		if err != nil {
			t.Fatalf("iter %d: %v", iter, err)
		}
		checkLedger(t, cfg, ins, r)
		for cur := 0; cur < spec.C; cur++ {
			if r.NetValue[cur] > r.Gross[cur] && r.SavingBps[cur] != 0 {
				t.Fatalf("iter %d: saving %d with net > gross", iter, r.SavingBps[cur])
			}
		}
		r2, err := Net(cfg, shuffled(rng, ins))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("iter %d: result depends on input order", iter)
		}
	}
}

// TestNoFloatingPoint keeps money arithmetic exact: no non-test source may
// mention a floating-point type.
func TestNoFloatingPoint(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`float(32|64)`)
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		if loc := re.FindIndex(b); loc != nil {
			line := 1 + strings.Count(string(b[:loc[0]]), "\n")
			t.Errorf("%s:%d uses a floating-point type", f, line)
		}
	}
	if checked == 0 {
		t.Fatal("no sources checked")
	}
}

package netting

import (
	"errors"
	"math"
	"testing"
)

// Currencies: 0 KZT (tiyn), 1 CNY (fen), 2 USD (cents).
// 1 USD = 500 KZT = 7 CNY.
func kzCycle() (Config, []Instruction) {
	rt := RateTable{Currencies: 3, Table: make([]Rate, 9)}
	rt.Table[0*3+1] = Rate{Num: 7, Den: 500} // fen per tiyn
	rt.Table[0*3+2] = Rate{Num: 1, Den: 500} // cents per tiyn
	rt.Table[1*3+2] = Rate{Num: 1, Den: 7}   // cents per fen
	cfg := Config{Participants: 2, Currencies: 3, Rates: rt}
	ins := []Instruction{
		in(0, 0, 1, 0, 1, 1_000_000), // 10,000 KZT ($20) credited as 140 CNY
		in(1, 1, 0, 1, 0, 7_000),     // 70 CNY ($10) credited as 5,000 KZT
	}
	return cfg, ins
}

func TestEstimateCost(t *testing.T) {
	cfg, ins := kzCycle()
	r, err := Net(cfg, ins)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Pairs) != 1 || r.Pairs[0].SellAmount != 500_000 || r.Pairs[0].BuyAmount != 7_000 {
		t.Fatalf("pairs %+v", r.Pairs)
	}
	f := Fees{Reporting: 2, USD: 2, USDFixedFee: 2500, USDFeeBps: 10, USDSpreadBps: 50,
		LocalSpreadBps: 20, LocalTransferFee: 100}
	got, err := EstimateCost(r, f, cfg.Rates)
	if err != nil {
		t.Fatal(err)
	}
	want := Cost{
		Reporting: 2,
		// 2 x $25 fixed; 0.1% of 10,000 KZT = 10 KZT = 2c, of 70 CNY = 7 fen = 1c.
		USDFees: 5000 + 2 + 1,
		// 0.5% on each of four legs worth $20, $20, $10, $10.
		USDSpread: 10 + 10 + 5 + 5,
		USDTotal:  5033,
		// 0.2% of the 5,000 KZT net residual = 10 KZT = 2c.
		LocalSpread: 2,
		// Two participant transfers and two FX legs at $1.
		LocalFees:  400,
		LocalTotal: 402,
		Saving:     4631,
		SavingBps:  4631 * 10000 / 5033,
	}
	if got != want {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestEstimateCostRounding(t *testing.T) {
	// 1 unit of currency 0 = 1/3 unit of reporting currency 1; every
	// component is rounded half up once per currency, then once more when
	// converted.
	cfg := Config{Participants: 2, Currencies: 2, Rates: rates2(1, 3)}
	ins := []Instruction{in(0, 0, 1, 0, 0, 15_000), in(1, 1, 0, 0, 0, 10_001)}
	r, err := Net(cfg, ins)
	if err != nil {
		t.Fatal(err)
	}
	got, err := EstimateCost(r, Fees{Reporting: 1, USD: 1, USDFeeBps: 1}, cfg.Rates)
	if err != nil {
		t.Fatal(err)
	}
	// Volume 25,001 x 1bp = 2.5001 -> 3 units; 3/3 = 1 in reporting.
	if got.USDFees != 1 || got.USDSpread != 0 || got.LocalTotal != 0 || got.SavingBps != 10000 {
		t.Fatalf("got %+v", got)
	}
	got, err = EstimateCost(r, Fees{Reporting: 1, USD: 1, USDFeeBps: 2}, cfg.Rates)
	if err != nil {
		t.Fatal(err)
	}
	// 25,001 x 2bp = 5.0002 -> 5; 5/3 = 1.67 -> 2.
	if got.USDFees != 2 {
		t.Fatalf("got %+v", got)
	}
}

func TestEstimateCostLocalDearer(t *testing.T) {
	cfg := Config{Participants: 2, Currencies: 1}
	r, err := Net(cfg, []Instruction{in(0, 0, 1, 0, 0, 100)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := EstimateCost(r, Fees{USDFixedFee: 10, LocalTransferFee: 15}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// USD 10, local 2 transfers x 15 = 30: saving -20 = -20,000 bps.
	if got.Saving != -20 || got.SavingBps != -20000 {
		t.Fatalf("got %+v", got)
	}
}

func TestEstimateCostErrors(t *testing.T) {
	cfg, ins := kzCycle()
	r, err := Net(cfg, ins)
	if err != nil {
		t.Fatal(err)
	}
	bad := []Fees{
		{Reporting: 3, USD: 2},
		{Reporting: 2, USD: -1},
		{Reporting: 2, USD: 2, USDFeeBps: -1},
		{Reporting: 2, USD: 2, USDSpreadBps: 10001},
		{Reporting: 2, USD: 2, LocalSpreadBps: 20000},
		{Reporting: 2, USD: 2, USDFixedFee: -1},
		{Reporting: 2, USD: 2, LocalTransferFee: -1},
	}
	for _, f := range bad {
		if _, err := EstimateCost(r, f, cfg.Rates); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err = %v", f, err)
		}
	}
	if _, err := EstimateCost(r, Fees{Reporting: 2, USD: 2, USDFeeBps: 1}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("missing rates: err = %v", err)
	}
	if _, err := EstimateCost(r, Fees{Reporting: 2, USD: 2, USDFixedFee: math.MaxInt64}, cfg.Rates); !errors.Is(err, ErrOverflow) {
		t.Errorf("fixed fee overflow: err = %v", err)
	}
	if _, err := EstimateCost(&Result{}, Fees{}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty result: err = %v", err)
	}
}

package money_test

import (
	"fmt"

	"bricstown/internal/money"
)

// A customer sends 1234.56 KZT and the recipient gets CNY: the recipient's
// side rounds down, so the platform never pays out more than it received.
func ExampleConvert() {
	amount, _ := money.ParsePositive("1234.56", 2) // KZT, exponent 2
	rate, _ := money.ParseRate("0.01523")          // 1 KZT = 0.01523 CNY

	payout, _ := money.Convert(amount, 2, rate, 2, money.RoundDown)
	charge, _ := money.Convert(amount, 2, rate, 2, money.RoundUp)
	fmt.Println("recipient gets", money.FormatAmount(payout, 2), "CNY") // exact: 18.8023488
	fmt.Println("to get that much, pay", money.FormatAmount(charge, 2), "CNY worth")
	// Output:
	// recipient gets 18.80 CNY
	// to get that much, pay 18.81 CNY worth
}

// A cross rate is built once and applied once, instead of converting twice
// through the middle currency (two roundings).
func ExampleRate_Mul() {
	kztRub, _ := money.ParseRate("0.1768")
	rubCny, _ := money.ParseRate("0.08612")
	kztCny, _ := kztRub.Mul(rubCny, 12, money.RoundDown)
	fmt.Println(kztCny)
	// Output: 0.015226016
}

func ExampleParseAmount() {
	_, err := money.ParseAmount("1.234", 2)
	fmt.Println("KZT:", err)
	v, _ := money.ParseAmount("1250.5", 2)
	fmt.Println(v, money.FormatAmount(v, 2))
	// Output:
	// KZT: invalid: at most 2 decimal places allowed
	// 125050 1250.50
}

func ExampleApplyBps() {
	fee, _ := money.ApplyBps(12345, 25, money.RoundUp) // 0.25% of 123.45 = 0.308625
	fmt.Println(money.FormatAmount(fee, 2))
	// Output: 0.31
}

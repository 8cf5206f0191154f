// Package demo seeds a believable town for `serve --demo`: organisations
// from every member and partner country in each role the platform serves,
// and a user for each role. Seeding is idempotent: it adds what is missing
// and leaves what exists, so restarting the demo never duplicates anything.
package demo

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// Password is every demo user's password (documented in the README).
const Password = "bricstown-demo"

// OrgSpec describes a demo organisation and its people.
type OrgSpec struct {
	Name    string
	Kind    identity.OrgKind
	Country string
	RegBase string // the registration number without its check digits
	Domain  string
	Users   []UserSpec
}

// UserSpec describes a demo user.
type UserSpec struct {
	Local string // email local part
	Name  string
	Roles []identity.Role
	Lang  string
}

var (
	adminRoles = []identity.Role{identity.OrgAdmin}
	tr         = identity.Trader
)

// Town is the demo town. Names are invented; registration numbers are
// structurally valid for each country's register but belong to no one.
var Town = []OrgSpec{
	{"BRICS Town Administration", identity.KindTownAdministration, "KZ", "25034000012", "town.kz", []UserSpec{
		{"admin", "Aigerim Nurlanovna", []identity.Role{identity.PlatformAdmin, identity.OrgAdmin}, "kk"}}},
	{"Khorgos Customs Post", identity.KindCustomsAuthority, "KZ", "99034000021", "customs.kz", []UserSpec{
		{"officer", "Daulet Seitkali", []identity.Role{identity.CustomsOfficer}, "ru"},
		{"chief", "Saule Zhaksylykova", []identity.Role{identity.CustomsOfficer, identity.OrgAdmin}, "kk"}}},
	{"Khorgos Veterinary and Phytosanitary Inspection", identity.KindQuarantineAuthority, "KZ", "99034000032", "sps.kz", []UserSpec{
		{"inspector", "Marat Abenov", []identity.Role{identity.QuarantineOfficer}, "ru"}}},
	{"BRICS Town Settlement Centre", identity.KindBank, "KZ", "24104000110", "settlement.town.kz", []UserSpec{
		{"operations", "Bolat Sarsenov", []identity.Role{identity.BankOperator, identity.OrgAdmin}, "kk"}}},
	{"Steppe Commercial Bank", identity.KindBank, "KZ", "98014000043", "steppebank.kz", []UserSpec{
		{"treasury", "Yerlan Kassymov", []identity.Role{identity.BankOperator, identity.OrgAdmin}, "en"}}},
	{"Volga Trade Bank", identity.KindBank, "RU", "770123456", "volgabank.ru", []UserSpec{
		{"treasury", "Irina Sokolova", []identity.Role{identity.BankOperator, identity.OrgAdmin}, "ru"}}},
	{"Yangtze Settlement Bank", identity.KindBank, "CN", "91310000MA1FL0000", "yangtzebank.cn", []UserSpec{
		{"treasury", "Wang Fang", []identity.Role{identity.BankOperator, identity.OrgAdmin}, "zh"}}},
	{"Banco Cerrado", identity.KindBank, "BR", "112223330001", "bancocerrado.br", []UserSpec{
		{"tesouraria", "Ana Souza", []identity.Role{identity.BankOperator, identity.OrgAdmin}, "pt"}}},
	{"Deccan Commerce Bank", identity.KindBank, "IN", "", "deccanbank.in", []UserSpec{
		{"treasury", "Priya Raman", []identity.Role{identity.BankOperator, identity.OrgAdmin}, "en"}}},
	{"Kazakh Grain Export", identity.KindCompany, "KZ", "17044000054", "kazgrain.kz", []UserSpec{
		{"trader", "Asel Omarova", []identity.Role{tr}, "kk"}, {"admin", "Nurlan Bekov", adminRoles, "ru"}}},
	{"Siberian Energy Trading", identity.KindCompany, "RU", "540987654", "sibenergy.ru", []UserSpec{
		{"trader", "Dmitry Volkov", []identity.Role{tr, identity.OrgAdmin}, "ru"}}},
	{"Shenzhen Smart Devices", identity.KindCompany, "CN", "91440300MA5DC0000", "szdevices.cn", []UserSpec{
		{"trader", "Li Wei", []identity.Role{tr, identity.OrgAdmin}, "zh"}}},
	{"Cerrado Agro Exportadora", identity.KindCompany, "BR", "334445550001", "cerradoagro.br", []UserSpec{
		{"trader", "João Pereira", []identity.Role{tr, identity.OrgAdmin}, "pt"}}},
	{"Gujarat Textile Mills", identity.KindCompany, "IN", "", "gujtextile.in", []UserSpec{
		{"trader", "Rahul Mehta", []identity.Role{tr, identity.OrgAdmin}, "en"}}},
	{"Cape Fruit Exporters", identity.KindCompany, "ZA", "ZA201912345607", "capefruit.za", []UserSpec{
		{"trader", "Thandiwe Nkosi", []identity.Role{tr, identity.OrgAdmin}, "en"}}},
	{"Nile Cotton Company", identity.KindCompany, "EG", "EG2020123456", "nilecotton.eg", []UserSpec{
		{"trader", "Omar Hassan", []identity.Role{tr, identity.OrgAdmin}, "en"}}},
	{"Sidamo Coffee Union", identity.KindCompany, "ET", "ET0001234567", "sidamo.et", []UserSpec{
		{"trader", "Selam Tesfaye", []identity.Role{tr, identity.OrgAdmin}, "en"}}},
	{"Khorasan Saffron", identity.KindCompany, "IR", "IR10101234567", "saffron.ir", []UserSpec{
		{"trader", "Reza Karimi", []identity.Role{tr, identity.OrgAdmin}, "en"}}},
	{"Gulf Dates Trading", identity.KindCompany, "AE", "AE1234567", "gulfdates.ae", []UserSpec{
		{"trader", "Fatima Al Mansoori", []identity.Role{tr, identity.OrgAdmin}, "en"}}},
	{"Nusantara Palm Industries", identity.KindCompany, "ID", "ID0123456789", "nusantara.id", []UserSpec{
		{"trader", "Budi Santoso", []identity.Role{tr, identity.OrgAdmin}, "en"}}},
	{"Khorgos Gateway Logistics", identity.KindLogisticsOperator, "KZ", "19054000065", "khorgosgw.kz", []UserSpec{
		{"dispatch", "Timur Akhmetov", []identity.Role{identity.Carrier, identity.OrgAdmin}, "ru"}}},
	{"Trans-Eurasia Rail Freight", identity.KindLogisticsOperator, "RU", "771234567", "transeurasia.ru", []UserSpec{
		{"dispatch", "Sergey Ivanov", []identity.Role{identity.Carrier, identity.OrgAdmin}, "ru"}}},
	{"BRICS Town Expo Centre", identity.KindEventOrganiser, "KZ", "20064000076", "expo.town.kz", []UserSpec{
		{"events", "Dana Serikova", []identity.Role{identity.Organiser, identity.OrgAdmin}, "kk"}}},
	{"International Education Park", identity.KindSchool, "KZ", "21074000087", "edupark.kz", []UserSpec{
		{"dean", "Gulnara Temirova", []identity.Role{identity.Educator, identity.OrgAdmin}, "ru"}}},
	{"Town Medical Service Centre", identity.KindClinic, "KZ", "22084000098", "clinic.town.kz", []UserSpec{
		{"doctor", "Dr. Arman Zhunusov", []identity.Role{identity.Clinician, identity.OrgAdmin}, "ru"}}},
	{"BRICS Town Medical Centre", identity.KindClinic, "KZ", "23054000187", "medcentre.town.kz", []UserSpec{
		{"director", "Dr. Gulnara Omarova", []identity.Role{identity.OrgAdmin}, "kk"},
		{"cardiology", "Dr. Aliya Bekova", []identity.Role{identity.Clinician}, "ru"},
		{"tcm", "Dr. Zhang Wei", []identity.Role{identity.Clinician}, "zh"}}},
	{"Town Residents", identity.KindResidents, "KZ", "23094000109", "residents.town.kz", []UserSpec{
		{"resident", "Maria Santos", []identity.Role{identity.Resident}, "pt"}}},
}

// RegID completes spec's registration number with valid check digits for
// its country's register, so that demo data passes the same validation as
// real data.
func RegID(spec OrgSpec) (string, error) {
	base := spec.RegBase
	switch spec.Country {
	case "IN":
		// Corporate Identification Number: structure only, no check digit.
		return "U" + "51100" + "GJ" + "2019" + "PLC" + fmt.Sprintf("%06d", len(spec.Name)*1000+len(spec.Domain)), nil
	case "KZ", "RU", "CN":
		for _, c := range "0123456789ABCDEFGHJKLMNPQRTUWXY" {
			if _, err := identity.CheckRegID(spec.Country, base+string(c)); err == nil {
				return base + string(c), nil
			}
		}
	case "BR":
		for i := 0; i < 100; i++ {
			id := fmt.Sprintf("%s%02d", base, i)
			if _, err := identity.CheckRegID(spec.Country, id); err == nil {
				return id, nil
			}
		}
	default:
		return base, nil
	}
	return "", fmt.Errorf("demo: no valid registration number for %s from %s", spec.Name, base)
}

// Email is a demo user's address.
func Email(org OrgSpec, u UserSpec) string { return u.Local + "@" + org.Domain }

// Seed creates whatever part of the demo town is missing and reports how
// many organisations and users it added.
func Seed(ctx context.Context, svc *identity.Service) (orgs, users int, err error) {
	existing := map[string]identity.Org{}
	after := ""
	for {
		page, err := svc.Orgs(ctx, identity.Page{After: after, Limit: 500})
		if err != nil {
			return 0, 0, err
		}
		for _, o := range page {
			existing[o.Country+"/"+o.RegID] = o
		}
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].ID
	}
	for _, spec := range Town {
		reg, err := RegID(spec)
		if err != nil {
			return orgs, users, err
		}
		o, ok := existing[spec.Country+"/"+identity.NormaliseRegID(reg)]
		if !ok {
			o, err = svc.CreateOrg(ctx, nil, identity.NewOrg{Name: spec.Name, Kind: spec.Kind, Country: spec.Country, RegID: reg})
			if err != nil {
				return orgs, users, fmt.Errorf("demo: org %s: %w", spec.Name, err)
			}
			orgs++
		}
		for _, u := range spec.Users {
			email := Email(spec, u)
			if _, err := svc.UserByEmail(ctx, email); err == nil {
				continue
			} else if !problem.Is(err, problem.NotFound) {
				return orgs, users, err
			}
			if _, err := svc.CreateUser(ctx, nil, o.ID, identity.NewUser{Email: email, Name: u.Name, Password: Password, Roles: u.Roles, Lang: u.Lang}); err != nil {
				return orgs, users, fmt.Errorf("demo: user %s: %w", email, err)
			}
			users++
		}
	}
	return orgs, users, nil
}

// Accounts lists every demo login for the README and the login page.
func Accounts() []string {
	var out []string
	line := func(email, org string, u UserSpec) string {
		roles := make([]string, len(u.Roles))
		for i, r := range u.Roles {
			roles[i] = string(r)
		}
		return fmt.Sprintf("%-32s %-44s %s", email, org, strings.Join(roles, ", "))
	}
	for _, o := range append(slices.Clone(Town), EduHost) {
		for _, u := range o.Users {
			out = append(out, line(Email(o, u), o.Name, u))
		}
	}
	for _, u := range eduStudents { // SeedEducation's, in the residents' organisation
		out = append(out, line(u.Local+"@residents.town.kz", "Town Residents", u))
	}
	return out
}

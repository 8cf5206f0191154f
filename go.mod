// Every dependency is explained here and in docs/ARCHITECTURE.md.
module bricstown

go 1.26.8

require (
	github.com/chromedp/cdproto v0.159.0 // Chrome DevTools protocol types used with chromedp (tests only)
	github.com/chromedp/chromedp v0.23.0 // browser tests against Debian Chromium (tests only)
	github.com/google/uuid v1.6.0 // UUIDv7 ids: time-ordered, so index inserts stay local
	github.com/jackc/pgx/v5 v5.12.0 // PostgreSQL driver: typed SQLSTATEs for retry, COPY for bulk writes
	github.com/prometheus/client_golang v1.25.0 // /metrics: the standard exposition, Go runtime and process collectors, promlint in tests
	github.com/prometheus/client_model v0.6.3 // metric family types that promlint reads (tests only)
	golang.org/x/crypto v0.59.0 // argon2id password hashing
	golang.org/x/text v0.44.0 // CLDR: Accept-Language matching, plural forms, collation of names (UI)
	modernc.org/sqlite v1.62.0 // SQLite without cgo: `go run` works with only Go installed
	rsc.io/qr v0.2.0 // QR codes of festival tickets (level M), drawn as SVG by internal/festival
)

require (
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/dustin/go-humanize v1.1.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	github.com/mattn/go-isatty v0.0.24 // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/ncruces/go-strftime v1.1.0 // indirect
	github.com/prometheus/common v0.72.0 // indirect
	github.com/prometheus/procfs v0.22.0 // indirect
	github.com/remyoudompheng/bigfft v0.0.0-20230129092748-24d4a6f8daec // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
	modernc.org/libc v1.80.1 // indirect
	modernc.org/mathutil v1.7.1 // indirect
	modernc.org/memory v1.12.1 // indirect
)

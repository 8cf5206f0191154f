// Package testenv holds the one rule for "are these tests running in CI?".
// Under CI a test whose prerequisite (PostgreSQL, a browser, xmllint) is
// missing fails instead of skipping, so that a green CI run means the test
// ran. Every package asks here, so that CI=1 cannot fail the PostgreSQL
// tests while the XML-schema checks quietly skip.
package testenv

import (
	"os"
	"strings"
)

// EnvCI is the variable that CI systems set.
const EnvCI = "CI"

// CI reports whether EnvCI holds a true value.
func CI() bool { return Truthy(os.Getenv(EnvCI)) }

// Truthy is the reading of a boolean environment value: 1, true or yes in
// any case, surrounding spaces ignored; anything else, unset included, is
// false.
func Truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes":
		return true
	}
	return false
}

package ui

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// routeMap draws a booking's route on a simple map of the corridor: each
// node (a UN/LOCODE place) at its latitude and longitude in an
// equirectangular projection (longitude scaled by the cosine of the mean
// latitude, so distances look right at the corridor's latitude), each leg
// as a line from node to node (solid once travelled, dashed ahead), border
// posts marked with a diamond. Labels are the places' names with their
// country; the SVG has a title and a description in the reader's language
// and a text list of the legs follows it for screen readers.

type mapNode struct {
	Code, Label string
	Lat, Lon    float64
	Border      bool
}

type mapLeg struct {
	From, To, Border string
	Done             bool
	Title            string
}

// mapWidth and mapHeight are the SVG's viewBox; the stylesheet scales it to
// the column's width, so it never overflows a phone.
const (
	mapWidth  = 640.0
	mapHeight = 300.0
	mapPad    = 36.0
)

func renderRouteMap(title, desc string, nodes []mapNode, legs []mapLeg) template.HTML {
	if len(nodes) < 2 {
		return ""
	}
	minLat, maxLat, minLon, maxLon := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, n := range nodes {
		minLat, maxLat = math.Min(minLat, n.Lat), math.Max(maxLat, n.Lat)
		minLon, maxLon = math.Min(minLon, n.Lon), math.Max(maxLon, n.Lon)
	}
	k := math.Cos((minLat + maxLat) / 2 * math.Pi / 180)
	spanX := math.Max((maxLon-minLon)*k, 0.5)
	spanY := math.Max(maxLat-minLat, 0.5)
	scale := math.Min((mapWidth-2*mapPad)/spanX, (mapHeight-2*mapPad)/spanY)
	offX := (mapWidth - spanX*scale) / 2
	offY := (mapHeight - spanY*scale) / 2
	pos := map[string][2]float64{}
	for _, n := range nodes {
		x := offX + (n.Lon-minLon)*k*scale
		y := mapHeight - offY - (n.Lat-minLat)*scale
		if spanX*scale < 1 {
			x = mapWidth / 2
		}
		pos[n.Code] = [2]float64{x, y}
	}
	var b strings.Builder
	esc := template.HTMLEscapeString
	fmt.Fprintf(&b, `<svg class="route-map" id="route-map" viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="route-map-t route-map-d" xmlns="http://www.w3.org/2000/svg">`, mapWidth, mapHeight)
	fmt.Fprintf(&b, `<title id="route-map-t">%s</title><desc id="route-map-d">%s</desc>`, esc(title), esc(desc))
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%.0f" height="%.0f" class="map-bg"/>`, mapWidth, mapHeight)
	for _, l := range legs {
		a, ok1 := pos[l.From]
		c, ok2 := pos[l.To]
		if !ok1 || !ok2 {
			continue
		}
		cls := "map-leg"
		if !l.Done {
			cls += " ahead"
		}
		if bp, ok := pos[l.Border]; ok && l.Border != l.From && l.Border != l.To {
			fmt.Fprintf(&b, `<polyline class="%s" points="%.1f,%.1f %.1f,%.1f %.1f,%.1f"><title>%s</title></polyline>`, cls, a[0], a[1], bp[0], bp[1], c[0], c[1], esc(l.Title))
		} else {
			fmt.Fprintf(&b, `<line class="%s" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"><title>%s</title></line>`, cls, a[0], a[1], c[0], c[1], esc(l.Title))
		}
	}
	for i, n := range nodes {
		p := pos[n.Code]
		if n.Border {
			fmt.Fprintf(&b, `<path class="map-border" d="M%.1f %.1fl7 7l-7 7l-7 -7z"><title>%s</title></path>`, p[0], p[1]-7, esc(n.Label))
		} else {
			fmt.Fprintf(&b, `<circle class="map-node" cx="%.1f" cy="%.1f" r="5"><title>%s</title></circle>`, p[0], p[1], esc(n.Label))
		}
		// Labels alternate above and below to keep close places apart, and
		// anchor towards the middle so they stay inside the picture.
		anchor := "middle"
		switch {
		case p[0] < mapWidth*0.2:
			anchor = "start"
		case p[0] > mapWidth*0.8:
			anchor = "end"
		}
		dy := -12.0
		if i%2 == 1 {
			dy = 20
		}
		fmt.Fprintf(&b, `<text class="map-label" x="%.1f" y="%.1f" text-anchor="%s">%s</text>`, p[0], p[1]+dy, anchor, esc(n.Label))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

package main

import (
	"image"
	"image/color"
)

// The glyph is an arch bridge seen from the side: a deck on two piers, an
// arch over it and three hangers, which reads as "bridge" even at 16 px.
var (
	deck    = segment(0.06, 0.62, 0.94, 0.62, 0.065)
	arch    = arcAbove(0.5, 0.70, 0.42, 0.62, 0.06)
	hangers = union(
		segment(0.30, 0.36, 0.30, 0.58, 0.04),
		segment(0.50, 0.32, 0.50, 0.58, 0.04),
		segment(0.70, 0.36, 0.70, 0.58, 0.04),
	)
	piers = union(
		segment(0.24, 0.62, 0.24, 0.88, 0.065),
		segment(0.76, 0.62, 0.76, 0.88, 0.065),
	)
	// glyph is the whole bridge, raised to sit in the middle of the icon.
	glyph = moved(union(deck, arch, hangers, piers), 0, -0.05)

	// badge marks attention: a dot over the arch's top right.
	badge = circle(0.82, 0.20, 0.18)
	// slash marks off.
	slash = segment(0.10, 0.08, 0.90, 0.92, 0.055)
	// gap is the clear ring around the badge and the slash.
	gap = 0.07
)

// Colours of the regular (non-template) icons, chosen to read on both light
// and dark panels.
var (
	green = color.NRGBA{0x2f, 0xa8, 0x6f, 0xff}
	amber = color.NRGBA{0xe8, 0xa3, 0x17, 0xff}
	red   = color.NRGBA{0xe0, 0x48, 0x3e, 0xff}
	grey  = color.NRGBA{0x8c, 0x93, 0x9d, 0xff}
	black = color.NRGBA{0, 0, 0, 0xff}
	white = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	// faded is how much of the glyph shows in the template "off" icon.
	faded = color.NRGBA{0, 0, 0, 0x80}
)

// state is one look of the tray icon.
type state struct {
	name string
	// regular and template give the layers of the coloured icon and of the
	// macOS template icon (black with alpha; macOS recolours it).
	regular, template []layer
}

var states = []state{
	{
		name:     "good",
		regular:  []layer{{glyph, solid(green)}},
		template: []layer{{glyph, solid(black)}},
	},
	{
		name:     "attention",
		regular:  []layer{{minus(glyph, badge, gap), solid(amber)}, {badge, solid(red)}},
		template: []layer{{minus(glyph, badge, gap), solid(black)}, {badge, solid(black)}},
	},
	{
		name:     "off",
		regular:  []layer{{minus(glyph, slash, gap), solid(grey)}, {slash, solid(grey)}},
		template: []layer{{minus(glyph, slash, gap), solid(faded)}, {slash, solid(black)}},
	},
}

// appIcon is the 1024 px application icon the packaging builds an .icns
// from: a white bridge on a green rounded square, inside the margins of
// Apple's icon grid (824 px of content in 1024).
func appIcon(size int) *image.NRGBA {
	const lo, hi = 100.0 / 1024, 924.0 / 1024
	top := color.NRGBA{0x3c, 0xc4, 0x86, 0xff}
	bottom := color.NRGBA{0x14, 0x7a, 0x58, 0xff}
	gradient := func(_, y float64) color.NRGBA {
		t := (y - lo) / (hi - lo)
		mix := func(a, b uint8) uint8 { return uint8(float64(a) + (float64(b)-float64(a))*t + 0.5) }
		return color.NRGBA{mix(top.R, bottom.R), mix(top.G, bottom.G), mix(top.B, bottom.B), 0xff}
	}
	return render(size, []layer{
		{roundedSquare(lo, hi, 185.0/1024), gradient},
		{scaled(glyph, 0.56), solid(white)},
	})
}

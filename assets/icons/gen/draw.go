package main

import (
	"image"
	"image/color"
	"math"
)

// The icons are drawn from signed distance functions: a shape is a function
// giving, for a point in icon units (0..1 across, y pointing down), its
// distance to the shape's edge, negative inside. That keeps every size
// (16 px to 1024 px) sharp and antialiased from one description.
type shape func(x, y float64) float64

func circle(cx, cy, r float64) shape {
	return func(x, y float64) float64 { return math.Hypot(x-cx, y-cy) - r }
}

// segment is a line from a to b with round ends, r wide on each side.
func segment(ax, ay, bx, by, r float64) shape {
	return func(x, y float64) float64 {
		px, py := x-ax, y-ay
		dx, dy := bx-ax, by-ay
		t := math.Max(0, math.Min(1, (px*dx+py*dy)/(dx*dx+dy*dy)))
		return math.Hypot(px-t*dx, py-t*dy) - r
	}
}

// arcAbove is the part of the circle (cx, cy, radius) that lies above the
// line y = cut, stroked r wide on each side with round ends.
func arcAbove(cx, cy, radius, cut, r float64) shape {
	half := math.Sqrt(radius*radius - (cut-cy)*(cut-cy))
	left := circle(cx-half, cut, r)
	right := circle(cx+half, cut, r)
	return func(x, y float64) float64 {
		if y <= cut {
			return math.Abs(math.Hypot(x-cx, y-cy)-radius) - r
		}
		return math.Min(left(x, y), right(x, y))
	}
}

// roundedSquare is a square from lo to hi on both axes with corners of
// radius r.
func roundedSquare(lo, hi, r float64) shape {
	c, h := (lo+hi)/2, (hi-lo)/2-r
	return func(x, y float64) float64 {
		qx, qy := math.Abs(x-c)-h, math.Abs(y-c)-h
		out := math.Hypot(math.Max(qx, 0), math.Max(qy, 0))
		return out + math.Min(math.Max(qx, qy), 0) - r
	}
}

func union(shapes ...shape) shape {
	return func(x, y float64) float64 {
		d := math.Inf(1)
		for _, s := range shapes {
			d = math.Min(d, s(x, y))
		}
		return d
	}
}

// minus cuts b, widened by gap, out of a: the clear ring that keeps a badge
// or a slash readable where it crosses the glyph.
func minus(a, b shape, gap float64) shape {
	return func(x, y float64) float64 { return math.Max(a(x, y), -(b(x, y) - gap)) }
}

// scaled draws s at size k around the icon's centre.
func scaled(s shape, k float64) shape {
	return func(x, y float64) float64 { return s((x-0.5)/k+0.5, (y-0.5)/k+0.5) * k }
}

// moved shifts s by (dx, dy).
func moved(s shape, dx, dy float64) shape {
	return func(x, y float64) float64 { return s(x-dx, y-dy) }
}

// layer is a shape filled with a paint, which may vary across the icon.
type layer struct {
	shape shape
	paint func(x, y float64) color.NRGBA
}

func solid(c color.NRGBA) func(x, y float64) color.NRGBA {
	return func(float64, float64) color.NRGBA { return c }
}

// render paints the layers, in order, onto a transparent size×size image.
// Each pixel averages 4×4 samples, each antialiased by its distance.
func render(size int, layers []layer) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const n = 4
	px := 1 / float64(size)
	for j := 0; j < size; j++ {
		for i := 0; i < size; i++ {
			var r, g, b, a float64 // premultiplied, 0..1
			for sj := 0; sj < n; sj++ {
				for si := 0; si < n; si++ {
					x := (float64(i) + (float64(si)+0.5)/n) * px
					y := (float64(j) + (float64(sj)+0.5)/n) * px
					var sr, sg, sb, sa float64
					for _, l := range layers {
						cov := math.Max(0, math.Min(1, 0.5-l.shape(x, y)/px*n))
						if cov == 0 {
							continue
						}
						c := l.paint(x, y)
						ca := cov * float64(c.A) / 255
						sr = float64(c.R)/255*ca + sr*(1-ca)
						sg = float64(c.G)/255*ca + sg*(1-ca)
						sb = float64(c.B)/255*ca + sb*(1-ca)
						sa = ca + sa*(1-ca)
					}
					r, g, b, a = r+sr, g+sg, b+sb, a+sa
				}
			}
			r, g, b, a = r/(n*n), g/(n*n), b/(n*n), a/(n*n)
			if a == 0 {
				continue
			}
			img.SetNRGBA(i, j, color.NRGBA{
				R: uint8(math.Round(r / a * 255)),
				G: uint8(math.Round(g / a * 255)),
				B: uint8(math.Round(b / a * 255)),
				A: uint8(math.Round(a * 255)),
			})
		}
	}
	return img
}

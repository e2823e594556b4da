package ollamatest

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// GGUF is a model file in the GGUF v3 format that llama.cpp and Ollama
// load: ordered metadata, then tensors. It holds only what the tiny test
// model needs: scalar, string and array metadata, and float32 tensors.
//
// The format (little-endian throughout):
//
//	"GGUF" uint32(3) uint64(#tensors) uint64(#metadata)
//	metadata:     string(key) uint32(type) value          (repeated)
//	tensor infos: string(name) uint32(#dims) uint64(dim)... uint32(ggml type) uint64(offset)
//	padding to Alignment, then each tensor's data padded to Alignment
//
// where string is uint64(length) followed by the bytes, and an array value
// is uint32(element type) uint64(count) followed by the elements.
type GGUF struct {
	Metadata []KV
	Tensors  []Tensor
}

// KV is one metadata entry. Value is one of uint32, int32, uint64,
// float32, bool, string, []string, []int32 or []float32; other types are
// refused when writing rather than guessed at.
type KV struct {
	Key   string
	Value any
}

// Tensor is a float32 tensor. Shape lists dimensions innermost first, the
// way ggml does: a matrix mapping an n-vector to an m-vector has Shape
// {n, m} and Data holds m rows of n values.
type Tensor struct {
	Name  string
	Shape []uint64
	Data  []float32
}

// Alignment is the GGUF default alignment of the tensor data section and
// of every tensor within it; the writer never sets general.alignment.
const Alignment = 32

// GGUF value types.
const (
	ggufUint32  uint32 = 4
	ggufInt32   uint32 = 5
	ggufFloat32 uint32 = 6
	ggufBool    uint32 = 7
	ggufString  uint32 = 8
	ggufArray   uint32 = 9
	ggufUint64  uint32 = 10
)

// ggmlTypeF32 is ggml's tensor type id for float32.
const ggmlTypeF32 uint32 = 0

// WriteTo writes f in GGUF v3 format. It checks every tensor's data
// against its shape first, so a malformed model is an error here rather
// than a crash inside Ollama.
func (f *GGUF) WriteTo(w io.Writer) (int64, error) {
	for _, t := range f.Tensors {
		if n := elements(t.Shape); n != uint64(len(t.Data)) {
			return 0, fmt.Errorf("gguf: tensor %s: shape %v holds %d values, data has %d", t.Name, t.Shape, n, len(t.Data))
		}
	}
	gw := &ggufWriter{w: bufio.NewWriter(w)}
	gw.raw([]byte("GGUF"))
	gw.u32(3)
	gw.u64(uint64(len(f.Tensors)))
	gw.u64(uint64(len(f.Metadata)))
	for _, kv := range f.Metadata {
		gw.str(kv.Key)
		if err := gw.value(kv.Value); err != nil {
			return gw.n, fmt.Errorf("gguf: metadata %s: %w", kv.Key, err)
		}
	}
	var offset uint64
	for _, t := range f.Tensors {
		gw.str(t.Name)
		gw.u32(uint32(len(t.Shape)))
		for _, d := range t.Shape {
			gw.u64(d)
		}
		gw.u32(ggmlTypeF32)
		gw.u64(offset)
		offset += padded(4 * uint64(len(t.Data)))
	}
	gw.pad()
	for _, t := range f.Tensors {
		for _, v := range t.Data {
			gw.u32(math.Float32bits(v))
		}
		gw.pad()
	}
	if gw.err == nil {
		gw.err = gw.w.Flush()
	}
	return gw.n, gw.err
}

// Lookup returns the value of the metadata key, and whether it is set.
func (f *GGUF) Lookup(key string) (any, bool) {
	for _, kv := range f.Metadata {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}

func elements(shape []uint64) uint64 {
	n := uint64(1)
	for _, d := range shape {
		n *= d
	}
	return n
}

func padded(n uint64) uint64 {
	return (n + Alignment - 1) / Alignment * Alignment
}

// ggufWriter counts what it writes (for padding) and keeps the first
// error, so the encoding above reads as a flat sequence of fields.
type ggufWriter struct {
	w   *bufio.Writer
	n   int64
	err error
}

func (g *ggufWriter) raw(b []byte) {
	if g.err != nil {
		return
	}
	n, err := g.w.Write(b)
	g.n += int64(n)
	g.err = err
}

func (g *ggufWriter) u32(v uint32) { g.raw(binary.LittleEndian.AppendUint32(nil, v)) }
func (g *ggufWriter) u64(v uint64) { g.raw(binary.LittleEndian.AppendUint64(nil, v)) }

func (g *ggufWriter) str(s string) {
	g.u64(uint64(len(s)))
	g.raw([]byte(s))
}

func (g *ggufWriter) pad() {
	g.raw(make([]byte, padded(uint64(g.n))-uint64(g.n)))
}

func (g *ggufWriter) value(v any) error {
	switch v := v.(type) {
	case uint32:
		g.u32(ggufUint32)
		g.u32(v)
	case int32:
		g.u32(ggufInt32)
		g.u32(uint32(v))
	case uint64:
		g.u32(ggufUint64)
		g.u64(v)
	case float32:
		g.u32(ggufFloat32)
		g.u32(math.Float32bits(v))
	case bool:
		g.u32(ggufBool)
		if v {
			g.raw([]byte{1})
		} else {
			g.raw([]byte{0})
		}
	case string:
		g.u32(ggufString)
		g.str(v)
	case []string:
		g.u32(ggufArray)
		g.u32(ggufString)
		g.u64(uint64(len(v)))
		for _, s := range v {
			g.str(s)
		}
	case []int32:
		g.u32(ggufArray)
		g.u32(ggufInt32)
		g.u64(uint64(len(v)))
		for _, x := range v {
			g.u32(uint32(x))
		}
	case []float32:
		g.u32(ggufArray)
		g.u32(ggufFloat32)
		g.u64(uint64(len(v)))
		for _, x := range v {
			g.u32(math.Float32bits(x))
		}
	default:
		return fmt.Errorf("unsupported value type %T", v)
	}
	return nil
}

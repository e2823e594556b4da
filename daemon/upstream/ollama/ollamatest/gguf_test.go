package ollamatest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
)

// readGGUF is an independent GGUF v3 reader, written from the format
// description rather than from the writer, for round-trip tests. It checks
// what llama.cpp checks: the magic, the version, tensor offsets aligned
// and in order, and padding that is zero.
func readGGUF(data []byte) (*GGUF, error) {
	r := bytes.NewReader(data)
	var fail error
	u32 := func() uint32 {
		var v uint32
		if err := binary.Read(r, binary.LittleEndian, &v); err != nil && fail == nil {
			fail = err
		}
		return v
	}
	u64 := func() uint64 {
		var v uint64
		if err := binary.Read(r, binary.LittleEndian, &v); err != nil && fail == nil {
			fail = err
		}
		return v
	}
	str := func() string {
		n := u64()
		if n > uint64(r.Len()) {
			if fail == nil {
				fail = fmt.Errorf("string of %d bytes past the end", n)
			}
			return ""
		}
		b := make([]byte, n)
		io.ReadFull(r, b)
		return string(b)
	}
	var value func(typ uint32) any
	value = func(typ uint32) any {
		switch typ {
		case ggufUint32:
			return u32()
		case ggufInt32:
			return int32(u32())
		case ggufUint64:
			return u64()
		case ggufFloat32:
			return math.Float32frombits(u32())
		case ggufBool:
			b, _ := r.ReadByte()
			return b == 1
		case ggufString:
			return str()
		case ggufArray:
			et, n := u32(), u64()
			switch et {
			case ggufString:
				out := make([]string, n)
				for i := range out {
					out[i] = str()
				}
				return out
			case ggufInt32:
				out := make([]int32, n)
				for i := range out {
					out[i] = int32(u32())
				}
				return out
			case ggufFloat32:
				out := make([]float32, n)
				for i := range out {
					out[i] = math.Float32frombits(u32())
				}
				return out
			}
			fail = fmt.Errorf("array of type %d", et)
		default:
			fail = fmt.Errorf("value type %d", typ)
		}
		return nil
	}

	magic := make([]byte, 4)
	io.ReadFull(r, magic)
	if string(magic) != "GGUF" {
		return nil, fmt.Errorf("magic %q", magic)
	}
	if v := u32(); v != 3 {
		return nil, fmt.Errorf("version %d", v)
	}
	nt, nkv := u64(), u64()
	f := &GGUF{}
	for range nkv {
		k := str()
		f.Metadata = append(f.Metadata, KV{k, value(u32())})
		if fail != nil {
			return nil, fmt.Errorf("metadata %s: %w", k, fail)
		}
	}
	type info struct {
		shape  []uint64
		offset uint64
	}
	var infos []info
	for range nt {
		name := str()
		dims := u32()
		shape := make([]uint64, dims)
		for i := range shape {
			shape[i] = u64()
		}
		if typ := u32(); typ != ggmlTypeF32 {
			return nil, fmt.Errorf("tensor %s: type %d", name, typ)
		}
		f.Tensors = append(f.Tensors, Tensor{Name: name, Shape: shape})
		infos = append(infos, info{shape, u64()})
	}
	if fail != nil {
		return nil, fail
	}
	pos := len(data) - r.Len()
	start := int(padded(uint64(pos)))
	if !isZero(data[pos:start]) {
		return nil, errors.New("non-zero padding before the tensor data")
	}
	next := uint64(0)
	for i, in := range infos {
		if in.offset%Alignment != 0 || in.offset != next {
			return nil, fmt.Errorf("tensor %s at offset %d, want %d", f.Tensors[i].Name, in.offset, next)
		}
		size := 4 * elements(in.shape)
		at := uint64(start) + in.offset
		if at+size > uint64(len(data)) {
			return nil, fmt.Errorf("tensor %s runs past the end", f.Tensors[i].Name)
		}
		vals := make([]float32, elements(in.shape))
		for j := range vals {
			vals[j] = math.Float32frombits(binary.LittleEndian.Uint32(data[at+4*uint64(j):]))
		}
		f.Tensors[i].Data = vals
		next = in.offset + padded(size)
	}
	if uint64(len(data)) != uint64(start)+next {
		return nil, fmt.Errorf("file is %d bytes, tensors end at %d", len(data), uint64(start)+next)
	}
	return f, nil
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func TestGGUFRoundTrip(t *testing.T) {
	want := &GGUF{
		Metadata: []KV{
			{"general.architecture", "llama"},
			{"u32", uint32(7)},
			{"i32", int32(-7)},
			{"u64", uint64(1) << 40},
			{"f32", float32(1.5)},
			{"yes", true},
			{"no", false},
			{"empty", ""},
			{"strings", []string{"a", "", "ünïcode ▁"}},
			{"ints", []int32{1, -2, 3}},
			{"floats", []float32{0.25, -1}},
			{"no floats", []float32{}},
		},
		Tensors: []Tensor{
			{Name: "odd", Shape: []uint64{3}, Data: []float32{1, 2, 3}}, // 12 bytes: padded
			{Name: "matrix", Shape: []uint64{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}},
			{Name: "aligned", Shape: []uint64{8}, Data: make([]float32, 8)}, // exactly 32 bytes
		},
	}
	var b bytes.Buffer
	n, err := want.WriteTo(&b)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(b.Len()) {
		t.Errorf("WriteTo reported %d bytes, wrote %d", n, b.Len())
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("GGUF\x03\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x0c\x00\x00\x00\x00\x00\x00\x00")) {
		t.Errorf("header = % x", b.Bytes()[:24])
	}
	got, err := readGGUF(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	if v, ok := got.Lookup("u64"); !ok || v != uint64(1)<<40 {
		t.Errorf("Lookup(u64) = %v, %v", v, ok)
	}
	if _, ok := got.Lookup("missing"); ok {
		t.Error("Lookup(missing) found something")
	}
}

func TestGGUFRefusesMalformed(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    GGUF
		want string
	}{
		{"shape mismatch", GGUF{Tensors: []Tensor{{Name: "t", Shape: []uint64{2, 2}, Data: []float32{1}}}}, "tensor t: shape [2 2] holds 4 values, data has 1"},
		{"unsupported value", GGUF{Metadata: []KV{{"k", 1.5}}}, "metadata k: unsupported value type float64"},
		{"unsupported array", GGUF{Metadata: []KV{{"k", []uint32{1}}}}, "metadata k: unsupported value type []uint32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.f.WriteTo(io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

// The model file read back must be what llama.cpp needs: the llama keys,
// a vocabulary with no duplicate token (a duplicate aborts ollama serve),
// per-token arrays of the vocabulary's length, and tensor shapes that
// agree with the hyperparameters.
func TestModelGGUFReadsBack(t *testing.T) {
	data, err := ModelGGUF()
	if err != nil {
		t.Fatal(err)
	}
	f, err := readGGUF(data)
	if err != nil {
		t.Fatal(err)
	}
	u32 := func(key string) uint64 {
		v, ok := f.Lookup(key)
		if !ok {
			t.Fatalf("no %s", key)
		}
		return uint64(v.(uint32))
	}
	if v, _ := f.Lookup("general.architecture"); v != "llama" {
		t.Errorf("architecture = %v", v)
	}
	if v, _ := f.Lookup("tokenizer.ggml.model"); v != "llama" {
		t.Errorf("tokenizer = %v", v)
	}
	tokensV, _ := f.Lookup("tokenizer.ggml.tokens")
	tokens := tokensV.([]string)
	seen := map[string]int{}
	for i, tok := range tokens {
		if tok == "" {
			t.Errorf("token %d is empty", i)
		}
		if j, dup := seen[tok]; dup {
			t.Errorf("token %q at %d and %d", tok, j, i)
		}
		seen[tok] = i
	}
	for i := range 256 {
		if id, ok := seen[fmt.Sprintf("<0x%02X>", i)]; !ok {
			t.Errorf("no byte token for %#x", i)
		} else if id != 3+i {
			t.Errorf("byte token %#x has id %d", i, id)
		}
	}
	scores, _ := f.Lookup("tokenizer.ggml.scores")
	types, _ := f.Lookup("tokenizer.ggml.token_type")
	if len(scores.([]float32)) != len(tokens) || len(types.([]int32)) != len(tokens) {
		t.Errorf("%d tokens, %d scores, %d types", len(tokens), len(scores.([]float32)), len(types.([]int32)))
	}
	if n := u32("llama.vocab_size"); n != uint64(len(tokens)) {
		t.Errorf("vocab_size %d, %d tokens", n, len(tokens))
	}
	for _, id := range []string{"bos", "eos", "unknown"} {
		if n := u32("tokenizer.ggml." + id + "_token_id"); n >= uint64(len(tokens)) {
			t.Errorf("%s token id %d out of range", id, n)
		}
	}

	d, v := u32("llama.embedding_length"), uint64(len(tokens))
	hd := u32("llama.attention.key_length") * u32("llama.attention.head_count")
	ff := u32("llama.feed_forward_length")
	if u32("llama.rope.dimension_count") != u32("llama.attention.key_length") {
		t.Error("llama.cpp requires rope.dimension_count == attention.key_length")
	}
	wantShapes := map[string][]uint64{
		"token_embd.weight":        {d, v},
		"output_norm.weight":       {d},
		"output.weight":            {d, v},
		"blk.0.attn_norm.weight":   {d},
		"blk.0.attn_q.weight":      {d, hd},
		"blk.0.attn_k.weight":      {d, hd},
		"blk.0.attn_v.weight":      {d, hd},
		"blk.0.attn_output.weight": {hd, d},
		"blk.0.ffn_norm.weight":    {d},
		"blk.0.ffn_gate.weight":    {d, ff},
		"blk.0.ffn_up.weight":      {d, ff},
		"blk.0.ffn_down.weight":    {ff, d},
	}
	if len(f.Tensors) != len(wantShapes) {
		t.Errorf("%d tensors, want %d", len(f.Tensors), len(wantShapes))
	}
	for _, tn := range f.Tensors {
		if want, ok := wantShapes[tn.Name]; !ok || !reflect.DeepEqual(tn.Shape, want) {
			t.Errorf("tensor %s shape %v, want %v", tn.Name, tn.Shape, want)
		}
	}
	if u32("llama.block_count") != 1 {
		t.Errorf("block_count = %d", u32("llama.block_count"))
	}
}

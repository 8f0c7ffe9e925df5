// Builds ONNX graphs by hand (onnx-proto) for the model folders transformers.js loads: the tiny
// wiring-test BERT and the ONNX export of our static model.

import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

export const { onnx } = onnxProto;

export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;
export const INT8 = onnx.TensorProto.DataType.INT8;

export type Attr =
  | { name: string; i: number }
  | { name: string; f: number }
  | { name: string; ints: number[] };

function attribute(a: Attr): OnnxTypes.IAttributeProto {
  if ('i' in a) return { name: a.name, type: onnx.AttributeProto.AttributeType.INT, i: a.i };
  if ('f' in a) return { name: a.name, type: onnx.AttributeProto.AttributeType.FLOAT, f: a.f };
  return { name: a.name, type: onnx.AttributeProto.AttributeType.INTS, ints: a.ints };
}

export class GraphBuilder {
  readonly nodes: OnnxTypes.INodeProto[] = [];
  readonly initializers: OnnxTypes.ITensorProto[] = [];
  private counter = 0;

  floatTensor(name: string, dims: number[], values: Float32Array): string {
    const raw = new Uint8Array(values.length * 4);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: raw });
    return name;
  }

  int64Tensor(name: string, dims: number[], values: ArrayLike<number>): string {
    const raw = new Uint8Array(values.length * 8);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < values.length; i++) view.setBigInt64(i * 8, BigInt(values[i] ?? 0), true);
    this.initializers.push({ name, dims, dataType: INT64, rawData: raw });
    return name;
  }

  int8Tensor(name: string, dims: number[], values: Int8Array): string {
    this.initializers.push({ name, dims, dataType: INT8, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) });
    return name;
  }

  /** Adds a node and returns its (single) output name. */
  op(opType: string, inputs: string[], attrs: Attr[] = [], output?: string): string {
    const out = output ?? `${opType.toLowerCase()}_${this.counter++}`;
    this.nodes.push({ opType, input: inputs, output: [out], name: `${opType}_${this.counter++}`, attribute: attrs.map(attribute) });
    return out;
  }
}

/** A [batch_size, sequence_length] int64 graph input (input_ids, attention_mask, token_type_ids). */
export function int64Input(name: string): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: INT64, shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }] } } },
  };
}

/** The serialised model: `inputs` in, `last_hidden_state` [batch, tokens, hidden] out (what transformers.js pools). */
export function encodeEncoderModel(g: GraphBuilder, options: { name: string; producer: string; inputs: string[]; hidden: number }): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: options.producer,
    producerVersion: '1',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: options.name,
      node: g.nodes,
      initializer: g.initializers,
      input: options.inputs.map(int64Input),
      output: [
        {
          name: 'last_hidden_state',
          type: {
            tensorType: {
              elemType: FLOAT,
              shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }, { dimValue: options.hidden }] },
            },
          },
        },
      ],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

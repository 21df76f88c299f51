// A byte-level BPE tokenizer that covers a config's vocabulary, for ONNX packs: there is no real tokenizer at hand
// without a download, and an engine loads a model folder only with a tokenizer. It is a valid Hugging Face
// `tokenizers` file (tokenizer.json: model BPE, ByteLevel pre-tokenizer and decoder, as GPT-2's) that any text
// encodes with and every id decodes with, but it is NOT the model family's real tokenizer: ids mean different text.
//
// Layout of the ids: the special tokens at their config ids (bos, eos), the 256 byte tokens at the first free ids,
// then tokens of two bytes (each a merge of two byte tokens), then of three (a two-byte token and a byte), filling
// the vocabulary. Byte tokens use GPT-2's byte-to-character table (bytes_to_unicode in encoder.py of openai/gpt-2:
// printable Latin-1 bytes '!'..'~', '¡'..'¬', '®'..'ÿ' stand for themselves, the other 68 bytes for the characters
// from U+0100 upward, in byte order), so no token contains a space and a merge line "a b" is unambiguous.
import { InvalidParameterError } from '../../errors.js';

/** GPT-2's byte → character table (see the file header). */
export function byteToUnicode(): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 0;
  return Array.from({ length: 256 }, (_, b) => String.fromCharCode(printable(b) ? b : 256 + next++));
}

export interface ByteLevelTokenizerOptions {
  readonly vocabSize: number;
  readonly bosTokenId: number;
  readonly eosTokenId: number;
  /** The tokenizer's model_max_length. */
  readonly maxLength: number;
}

export interface ByteLevelTokenizer {
  /** tokenizer.json */
  readonly tokenizer: Record<string, unknown>;
  /** tokenizer_config.json */
  readonly tokenizerConfig: Record<string, unknown>;
  /** The id of each token string (for tests). */
  readonly vocab: ReadonlyMap<string, number>;
}

/** The special tokens' strings: one '<|endoftext|>' when bos = eos (GPT-2), else '<s>' and '</s>' (Llama). */
function specialTokens(o: ByteLevelTokenizerOptions): Map<number, string> {
  return o.bosTokenId === o.eosTokenId
    ? new Map([[o.eosTokenId, '<|endoftext|>']])
    : new Map([
        [o.bosTokenId, '<s>'],
        [o.eosTokenId, '</s>'],
      ]);
}

/**
 * A byte-level tokenizer covering ids 0 … vocabSize − 1 (see the file header). The vocabulary needs room for the
 * 256 bytes and the special tokens.
 */
export function byteLevelTokenizer(o: ByteLevelTokenizerOptions): ByteLevelTokenizer {
  const specials = specialTokens(o);
  const min = 256 + specials.size;
  if (!Number.isSafeInteger(o.vocabSize) || o.vocabSize < min) {
    throw new InvalidParameterError(
      'config.vocab_size',
      o.vocabSize,
      `at least ${min} for the pack's byte-level tokenizer (256 byte tokens and ${specials.size} special token${specials.size > 1 ? 's' : ''})`,
    );
  }
  const bytes = byteToUnicode();
  const vocab = new Map<string, number>();
  const merges: string[] = [];
  let id = 0;
  const nextFree = () => {
    while (specials.has(id)) id++;
    return id++;
  };
  for (const [tid, content] of specials) vocab.set(content, tid);
  for (const c of bytes) vocab.set(c, nextFree());
  // Two-byte tokens, then three-byte ones, until every id has a token.
  const remaining = () => vocab.size < o.vocabSize;
  outer: for (const a of bytes) {
    for (const b of bytes) {
      if (!remaining()) break outer;
      vocab.set(a + b, nextFree());
      merges.push(`${a} ${b}`);
    }
  }
  outer3: for (const a of bytes) {
    for (const b of bytes) {
      for (const c of bytes) {
        if (!remaining()) break outer3;
        vocab.set(a + b + c, nextFree());
        merges.push(`${a + b} ${c}`);
      }
    }
  }
  if (remaining()) throw new InvalidParameterError('config.vocab_size', o.vocabSize, `at most ${vocab.size} for the byte-level tokenizer`);
  const addedTokens = [...specials].map(([tid, content]) => ({
    id: tid,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(vocab),
      merges,
    },
  };
  const tokenizerConfig = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: specials.get(o.bosTokenId)!,
    eos_token: specials.get(o.eosTokenId)!,
    add_bos_token: false,
    add_eos_token: false,
    clean_up_tokenization_spaces: false,
    model_max_length: o.maxLength,
    added_tokens_decoder: Object.fromEntries(addedTokens.map(({ id: tid, ...t }) => [String(tid), t])),
    'webgpu-weight-init': 'byte-level stand-in tokenizer: valid for every id, but not the model family’s real vocabulary',
  };
  return { tokenizer, tokenizerConfig, vocab };
}

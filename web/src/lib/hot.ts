// Items' hot texts and label badges in the UI language. Sources send them as their site shows
// them, mostly in Chinese ("18.6万热度", "326.5万播放", badges 热 / 新 / 百万播放). In Chinese
// they are shown as sent (bare numbers as 万 / 亿); in English 万 and 亿 become K / M / B with
// three significant digits (18.6万 → 186K, 326.5万 → 3.27M, 1.2亿 → 120M), the unit word is
// translated and known badges are too. A text this does not recognise is shown as sent.
import { isZh } from './i18n';

/** Chinese unit words after a number, as [singular, plural] in English ('' = no word). */
const UNIT_WORDS: Readonly<Record<string, readonly [string, string]>> = {
  热度: ['heat', 'heat'],
  热: ['heat', 'heat'],
  播放: ['play', 'plays'],
  次播放: ['play', 'plays'],
  观看: ['view', 'views'],
  浏览: ['view', 'views'],
  阅读: ['read', 'reads'],
  赞: ['like', 'likes'],
  点赞: ['like', 'likes'],
  喜欢: ['like', 'likes'],
  讨论: ['discussion', 'discussions'],
  跟帖: ['comment', 'comments'],
  评论: ['comment', 'comments'],
  评: ['comment', 'comments'],
  回复: ['reply', 'replies'],
  条回复: ['reply', 'replies'],
  收藏: ['save', 'saves'],
  弹幕: ['comment', 'comments'],
  搜索: ['search', 'searches'],
  人在看: ['watching', 'watching'],
  关注: ['follower', 'followers'],
  粉丝: ['follower', 'followers'],
};

/** Badges that are words, not counts. */
const LABELS: Readonly<Record<string, string>> = {
  热: 'hot',
  新: 'new',
  爆: 'viral',
  沸: 'boiling',
  荐: 'pick',
  首发: 'premiere',
  独家: 'exclusive',
  辟谣: 'fact check',
  解读: 'explainer',
  直播: 'live',
  直播中: 'live',
  话题: 'topic',
  梗: 'meme',
  同城: 'local',
  挑战: 'challenge',
  当事人: 'first-hand',
  热议: 'trending',
  重要: 'key',
  商: 'ad',
  暖: 'heartwarming',
  百万播放: '1M+ plays',
  千万播放: '10M+ plays',
};

/** Hot texts that are words, not counts (Douban's films without a rating). */
const PHRASES: Readonly<Record<string, string>> = {
  尚未上映: 'not yet released',
  暂无评分: 'no rating yet',
};

const MULTIPLIERS: Readonly<Record<string, number>> = { 万: 1e4, w: 1e4, W: 1e4, 亿: 1e8, k: 1e3, K: 1e3 };

/** A number, an optional 万 / 亿 / w / k, an optional "+", an optional unit word. */
const COUNT = /^(\d[\d,]*(?:\.\d+)?)\s*(万|亿|[wWkK])?(\+)?\s*(.*)$/;

/** A count in English: 3 significant digits with K / M / B (186K, 3.27M, 120M, 1.2B). */
export function compactNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(Math.round(n));
  if (abs < 1000) return String(Math.round(n));
  // Round to three significant digits in integers (326.5万 = 3265000 → 3270000), so binary
  // fractions never decide the last digit.
  const digits = Math.floor(Math.log10(abs)) + 1;
  const step = 10 ** Math.max(0, digits - 3);
  const rounded = Math.round(abs / step) * step;
  const [div, suffix] = rounded >= 1e9 ? [1e9, 'B'] : rounded >= 1e6 ? [1e6, 'M'] : [1e3, 'K'];
  return `${n < 0 ? '-' : ''}${rounded / div}${suffix}`;
}

/** The Chinese form of a bare number: "790万", "8.7万", "3.1亿". */
function chineseNumber(n: number): string {
  const fixed = (x: number) => (x >= 100 ? Math.round(x).toString() : x.toFixed(1).replace(/\.0$/, ''));
  return n >= 1e8 ? `${fixed(n / 1e8)}亿` : `${fixed(n / 1e4)}万`;
}

interface Count {
  value: number;
  /** "+" after the number: a threshold ("100万+"). */
  plus: boolean;
  /** What follows the number, trimmed ("热度", "播放", "" …). */
  word: string;
  /** The number carried 万 / 亿 / w / k. */
  scaled: boolean;
}

function parseCount(text: string): Count | undefined {
  const m = COUNT.exec(text.trim());
  if (!m) return undefined;
  const scale = m[2] ? MULTIPLIERS[m[2]] : 1;
  const value = Number(m[1].replace(/,/g, '')) * scale;
  if (!Number.isFinite(value)) return undefined;
  return { value: Math.round(value), plus: !!m[3], word: m[4].trim(), scaled: !!m[2] };
}

/** A count and its unit word in English, or undefined when the word is not known. */
function englishCount(c: Count, threshold: boolean): string | undefined {
  let unit = '';
  if (c.word === '分') return undefined; // a rating ("8.5分"), handled by the caller
  if (c.word) {
    const words = UNIT_WORDS[c.word];
    if (!words) return undefined;
    unit = ` ${c.value === 1 ? words[0] : words[1]}`;
  }
  const small = !c.scaled && c.value < 10_000;
  const number = small ? String(c.value) : compactNumber(c.value);
  return `${number}${threshold || c.plus ? '+' : ''}${unit}`;
}

/**
 * An item's hot text for display. Chinese: as sent, except bare numbers of 5+ digits
 * ("7902315" → "790万"). English: counts as K / M / B with the unit word translated
 * ("18.6万热度" → "186K heat", "326.5万播放" → "3.27M plays", "8.5分" → "8.5/10").
 */
export function formatHot(text: string): string {
  if (isZh.value) return /^\d{5,}$/.test(text) ? chineseNumber(Number(text)) : text;
  const phrase = PHRASES[text.trim()];
  if (phrase) return phrase;
  const rating = /^(\d(?:\.\d)?|10(?:\.0)?)\s*分$/.exec(text.trim());
  if (rating) return `${rating[1]}/10`;
  if (/^\d{1,4}$/.test(text)) return text;
  const c = parseCount(text);
  return (c && englishCount(c, false)) ?? text;
}

/**
 * A label badge for display: as sent in Chinese; in English the known words ("热" → "hot",
 * "百万播放" → "1M+ plays") and counts ("50万播放" → "500K+ plays": a badge names a threshold).
 */
export function formatLabel(label: string): string {
  if (isZh.value) return label;
  const word = LABELS[label.trim()];
  if (word) return word;
  const c = parseCount(label);
  return (c && c.scaled && englishCount(c, true)) || label;
}

// The two UI languages (zh-CN, en) as plain tables, and t() that reads the current locale.
// The locale is reactive, so templates calling t() re-render when the setting changes.
import { computed, ref } from 'vue';

const zh = {
  app_title: 'Mu · 热榜',
  skip_to_content: '跳到正文',
  nav_label: '榜单分类',
  tab_all: '全部',
  tab_following: '关注',
  chips_label: '{site} 的榜单',
  chip_all: '全部',
  search: '搜索',
  search_placeholder: '搜索榜单和已加载的条目…',
  search_label: '搜索榜单和条目',
  search_hint: '↑↓ 选择 · Enter 打开 · Esc 关闭',
  search_boards: '榜单',
  search_items: '条目',
  no_results: '没有结果',
  settings: '设置',
  close: '关闭',
  back: '← 返回',
  offline: '离线',
  offline_title: '网络不可用，显示的是上次缓存的数据',
  live: '实时',
  live_title: '已连接实时更新',
  live_off_title: '实时更新未连接，定时刷新',
  just_now: '刚刚',
  minutes_ago: '{n} 分钟前',
  hours_ago: '{n} 小时前',
  days_ago: '{n} 天前',
  in_future: '刚刚',
  never_fetched: '尚未获取',
  stale: '更新失败',
  stale_detail: '更新失败，显示上次成功的数据：{msg}',
  overdue: '逾期',
  overdue_title: '应在 {t} 前更新，但还没有新数据',
  new_mark: '新',
  new_item: '新上榜',
  more: '查看全部',
  follow: '关注 {name}',
  unfollow: '取消关注 {name}',
  no_favorites: '还没有关注的榜单。点卡片上的 ☆ 即可关注。',
  loading: '加载中…',
  load_failed: '加载失败：{msg}',
  retry: '重试',
  empty_board: '暂无条目',
  first_seen: '首次出现 {t}',
  best_rank: '最高第 {n} 名',
  rank_up: '上升 {n} 位',
  rank_down: '下降 {n} 位',
  rank: '第 {n} 名',
  homepage: '原网页',
  success_rate: '近期成功率 {p}',
  items_count: '{n} 条',
  every: '每 {t} 更新',
  board_not_found: '没有这个榜单：{id}',
  theme: '主题',
  theme_light: '浅色',
  theme_dark: '深色',
  theme_auto: '跟随系统',
  language: '语言',
  lang_auto: '自动',
  density: '密度',
  density_comfortable: '舒适',
  density_compact: '紧凑',
  links: '链接',
  new_tab: '在新标签页打开链接',
  boards_order: '显示哪些榜单、按什么顺序',
  boards_order_hint: '勾选要显示的榜单；拖动或用 ↑ ↓ 按钮调整顺序。',
  move_up: '上移 {name}',
  move_down: '下移 {name}',
  show_board: '显示 {name}',
  reset_order: '恢复默认顺序',
  duration: '时长 {t}',
  updated_live: '{name} 已更新',
  footer: 'Mu · 热榜 — 数据来自各网站公开榜单',
  minutes: '{n} 分钟',
  hours: '{n} 小时',
  update_ready: 'Mu 有新版本',
  reload: '刷新',
};

type Messages = Record<keyof typeof zh, string>;

const en: Messages = {
  app_title: 'Mu · Hot lists',
  skip_to_content: 'Skip to content',
  nav_label: 'Board sections',
  tab_all: 'All',
  tab_following: 'Following',
  chips_label: 'Boards of {site}',
  chip_all: 'All',
  search: 'Search',
  search_placeholder: 'Search boards and loaded items…',
  search_label: 'Search boards and items',
  search_hint: '↑↓ select · Enter open · Esc close',
  search_boards: 'Boards',
  search_items: 'Items',
  no_results: 'No results',
  settings: 'Settings',
  close: 'Close',
  back: '← Back',
  offline: 'Offline',
  offline_title: 'No network: showing the last cached data',
  live: 'Live',
  live_title: 'Live updates connected',
  live_off_title: 'Live updates not connected; refreshing periodically',
  just_now: 'just now',
  minutes_ago: '{n} min ago',
  hours_ago: '{n} h ago',
  days_ago: '{n} d ago',
  in_future: 'just now',
  never_fetched: 'not fetched yet',
  stale: 'Update failed',
  stale_detail: 'Update failed, showing the last good data: {msg}',
  overdue: 'Overdue',
  overdue_title: 'Due by {t} but no new data yet',
  new_mark: 'new',
  new_item: 'new on the list',
  more: 'See all',
  follow: 'Follow {name}',
  unfollow: 'Unfollow {name}',
  no_favorites: 'No followed boards yet. Tap ☆ on a card to follow it.',
  loading: 'Loading…',
  load_failed: 'Could not load: {msg}',
  retry: 'Retry',
  empty_board: 'No items yet',
  first_seen: 'first seen {t}',
  best_rank: 'best #{n}',
  rank_up: 'up {n}',
  rank_down: 'down {n}',
  rank: 'rank {n}',
  homepage: 'Source page',
  success_rate: 'recent success {p}',
  items_count: '{n} items',
  every: 'every {t}',
  board_not_found: 'No such board: {id}',
  theme: 'Theme',
  theme_light: 'Light',
  theme_dark: 'Dark',
  theme_auto: 'System',
  language: 'Language',
  lang_auto: 'Automatic',
  density: 'Density',
  density_comfortable: 'Comfortable',
  density_compact: 'Compact',
  links: 'Links',
  new_tab: 'Open links in a new tab',
  boards_order: 'Which boards, in what order',
  boards_order_hint: 'Tick the boards to show; drag them or use the ↑ ↓ buttons to reorder.',
  move_up: 'Move {name} up',
  move_down: 'Move {name} down',
  show_board: 'Show {name}',
  reset_order: 'Reset order',
  duration: 'duration {t}',
  updated_live: '{name} updated',
  footer: 'Mu · hot lists — from the public lists of each site',
  minutes: '{n} min',
  hours: '{n} h',
  update_ready: 'A new version of Mu is ready',
  reload: 'Reload',
};

export type Locale = 'zh-CN' | 'en';
export type MessageKey = keyof typeof zh;

export const tables: Readonly<Record<Locale, Messages>> = { 'zh-CN': zh, en };

export const locale = ref<Locale>('zh-CN');

export function detectLocale(languages: readonly string[] = navigator.languages ?? []): Locale {
  const first = languages[0] ?? navigator.language ?? '';
  return first.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export function t(key: MessageKey, params?: Record<string, string | number>): string {
  let text = tables[locale.value][key] ?? key;
  if (params) {
    for (const [name, value] of Object.entries(params)) text = text.split(`{${name}}`).join(String(value));
  }
  return text;
}

export const isZh = computed(() => locale.value === 'zh-CN');

/** A board's or site's display name in the current language. */
export function localName(o: { name: string; name_en?: string } | undefined): string {
  if (!o) return '';
  return isZh.value ? o.name : o.name_en || o.name;
}

// The console and portal in a real browser (Debian's Chromium via playwright-core), used as
// people use them: clicking links and buttons found by their labels, typing into labelled
// fields, the keyboard alone where that is the point. Run by crates/cli/tests/browser.rs
// against a fresh `redress serve`; every page visited is saved as a full-page PNG in
// target/browser-artifacts/ (paths printed), and every page is checked for unlabelled controls.
//
// Extra environment: REDRESS_MISROUTE_USER / REDRESS_MISROUTE_PASSWORD, a handler of
// REDRESS_MISROUTE_UNIT (default 县教育局) created with `redress user add` for story 2.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { act, assertInOrder, BASE, beijingDate, caseStatus, clickAndLoad, launch, pressAndLoad, rowIn, RUN, staff, story, text, timeline } from './lib.mjs';

const MISROUTE_UNIT = process.env.REDRESS_MISROUTE_UNIT || '县教育局';
const HOUSING = '县住房和城乡建设局';

let b;
before(async () => {
  b = await launch();
  console.log(`chromium ${b.version}, server ${BASE}`);
});
after(async () => {
  await b?.close();
});

test('1. a resident on a phone submits a named matter; it is accepted, routed, handled, approved, rated and closed', async () => {
  const s = story('1-whole');
  const subject = `解放社区路灯长期不亮 ${RUN}`;
  const content = '解放社区3栋至5栋之间的路灯已经坏了一个多月，晚上出行很不安全，请求尽快维修。';
  const phone = '13700002468';
  const facts = '经现场核实，解放社区3栋至5栋之间路灯线路老化损坏属实。';
  const opinion = `已责成城关镇市政维护队更换线路，三日内恢复照明 ${RUN}`;
  const basis = '《城市道路照明设施管理规定》第十四条';

  // The resident, at a phone's size.
  const phoneCtx = await b.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const r = await phoneCtx.newPage();
  await r.goto(`${BASE}/`);
  await s.shot(r, 'portal-home');
  assert.match(await r.title(), /群众诉求服务平台/);
  await clickAndLoad(r, r.getByRole('navigation').getByRole('link', { name: '我要反映' }));
  assert.equal(await text(r.locator('h1')), '我要反映');
  const overflow = await r.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the form fits a 390 px screen (${overflow} px too wide)`);
  await r.getByLabel('诉求类型').selectOption({ label: '申诉求决' });
  await r.getByLabel('标题').fill(subject);
  await r.getByLabel('具体内容').fill(content);
  await r.getByLabel('问题发生地').selectOption({ label: '城关镇/解放社区' });
  await r.getByLabel('详细地点').fill('解放社区3栋旁');
  await r.getByLabel('姓名').fill('赵大明');
  await r.getByLabel('手机号码').fill(phone);
  await r.getByLabel(/^附件/).setInputFiles({ name: '路灯情况说明.txt', mimeType: 'text/plain', buffer: Buffer.from('路灯损坏情况说明：3栋至5栋之间共4盏路灯不亮。\n', 'utf8') });
  await s.shot(r, 'portal-submit-filled');
  await clickAndLoad(r, r.getByRole('button', { name: '提交', exact: true }));
  await s.shot(r, 'portal-receipt');
  assert.equal(await text(r.locator('h1')), '提交成功');
  const code = await text(r.locator('#tracking-code'));
  assert.match(code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/, 'a tracking code');
  const receipt = await text(r.locator('#receipt'));
  for (const part of [subject, '县信访局', '已上传附件 1 个']) assert.ok(receipt.includes(part), `receipt shows ${part}: ${receipt}`);
  // Printable: in print the receipt stays and the page's chrome and buttons go.
  await r.emulateMedia({ media: 'print' });
  assert.ok(await r.locator('#receipt').isVisible(), 'the receipt prints');
  assert.ok(!(await r.getByRole('button', { name: '打印回执' }).isVisible()), 'the print button does not');
  assert.ok(!(await r.locator('header.top').isVisible()), 'the site header does not');
  await s.shot(r, 'portal-receipt-print');
  await r.emulateMedia({ media: 'screen' });

  // The clerk finds it in 待受理, accepts it and routes it.
  const clerk = await staff(b, 'clerk');
  await s.shot(clerk, 'clerk-workbench');
  assert.match(await text(clerk.locator('#inbox-h')), /^待受理/);
  const waiting = rowIn(clerk, 'inbox-h', subject);
  assert.equal(await waiting.count(), 1, 'the new matter is in 待受理');
  await clickAndLoad(clerk, waiting.getByRole('link'));
  await s.shot(clerk, 'case-registered');
  const caseUrl = clerk.url();
  assert.equal(await caseStatus(clerk), '待受理');
  assert.match(await text(clerk.locator('h1')), new RegExp(subject));
  assert.ok((await text(clerk.locator('#case-content'))).includes(content));
  assert.ok((await text(clerk.locator('main'))).includes('路灯情况说明.txt'), 'the attachment is listed');
  assert.ok(!(await text(clerk.locator('main'))).includes(phone), 'the phone number is masked');
  await act(clerk, 'accept', async (f) => {
    await f.getByLabel('受理意见').fill('属于本机关受理范围，予以受理。');
  });
  await s.shot(clerk, 'case-accepted');
  assert.equal(await caseStatus(clerk), '已受理待转交');
  await act(clerk, 'route', async (f) => {
    await f.getByLabel('主办单位').selectOption({ label: HOUSING });
    await f.getByLabel('方式').selectOption({ label: '转办' });
    await f.getByLabel('转办意见').fill('请依法核实处理，按期答复信访人。');
  });
  await s.shot(clerk, 'case-routed');
  assert.equal(await caseStatus(clerk), '已转交待签收');

  // The handler of that unit signs for it and replies.
  const handler = await staff(b, 'handler');
  await s.shot(handler, 'handler-workbench');
  assert.match(await text(handler.locator('#inbox-h')), /^待签收/);
  const toSign = rowIn(handler, 'inbox-h', subject);
  assert.equal(await toSign.count(), 1, 'the case is in the unit\'s 待签收');
  await clickAndLoad(handler, toSign.getByRole('link'));
  assert.equal(await caseStatus(handler), '已转交待签收');
  await s.shot(handler, 'case-to-sign');
  await act(handler, 'start_handling');
  assert.equal(await caseStatus(handler), '办理中');
  await s.shot(handler, 'case-in-progress');
  await act(handler, 'submit_reply', async (f) => {
    await f.getByLabel('处理结论').selectOption({ label: '支持' });
    await f.getByLabel('查明的事实').fill(facts);
    await f.getByLabel('处理意见').fill(opinion);
    await f.getByLabel('法律政策依据').fill(basis);
  });
  await s.shot(handler, 'case-reply-submitted');
  assert.equal(await caseStatus(handler), '答复待审核');

  // The unit head approves; the handling opinion can be printed.
  const head = await staff(b, 'head');
  await s.shot(head, 'head-workbench');
  const toApprove = rowIn(head, 'appr-h', subject);
  assert.equal(await toApprove.count(), 1, 'the reply waits in 待我审批');
  await clickAndLoad(head, toApprove.getByRole('link'));
  assert.equal(await caseStatus(head), '答复待审核');
  await act(head, 'approve_reply');
  await s.shot(head, 'case-replied');
  assert.equal(await caseStatus(head), '已答复');
  const doc = head.locator('section[aria-labelledby="docs-h"] li', { hasText: '信访事项处理意见书' });
  assert.equal(await doc.count(), 1, 'the documents list 信访事项处理意见书');
  const [print] = await Promise.all([head.context().waitForEvent('page'), doc.getByRole('link', { name: '打印版' }).click()]);
  await print.waitForLoadState('load');
  assert.match(print.url(), /\/api\/v1\/cases\/\d+\/documents\/handling_opinion\?format=html$/);
  await s.shot(print, 'handling-opinion-print');
  const opinionText = await text(print.locator('body'));
  for (const part of ['信访事项处理意见书', facts, opinion, basis]) assert.ok(opinionText.includes(part), `the printed opinion has ${part}: ${opinionText.slice(0, 400)}`);
  await print.close();

  // The resident looks it up with the code and the phone's last four digits, and rates it.
  await clickAndLoad(r, r.getByRole('navigation').getByRole('link', { name: '办理查询' }));
  await r.getByLabel('查询码').fill(code);
  await r.getByLabel('手机号后四位').fill(phone.slice(-4));
  await clickAndLoad(r, r.getByRole('button', { name: '查询' }));
  await s.shot(r, 'portal-lookup-replied');
  assert.equal(await text(r.locator('#public-status')), '已答复');
  const reply = await text(r.locator('#public-reply'));
  for (const part of ['支持', facts, opinion, basis]) assert.ok(reply.includes(part), `the resident reads ${part}: ${reply}`);
  await r.getByLabel('满意', { exact: true }).check();
  await r.getByLabel('意见建议').fill('路灯已经修好，谢谢。');
  await clickAndLoad(r, r.getByRole('button', { name: '提交评价' }));
  await s.shot(r, 'portal-rated');
  assert.match(await text(r.locator('main [role=status]')), /感谢您的评价/);
  assert.equal(await text(r.locator('#public-status')), '已回访');
  assert.ok((await text(r.locator('#lookup-result'))).includes('满意'));

  // The clerk closes it.
  await clerk.goto(caseUrl);
  assert.equal(await caseStatus(clerk), '已回访');
  await act(clerk, 'close', async (f) => {
    await f.getByLabel('办结说明').fill('信访人对处理结果表示满意，予以办结。');
  });
  await s.shot(clerk, 'case-closed');
  assert.equal(await caseStatus(clerk), '已办结');
  const labels = (await timeline(clerk)).map((e) => e.label);
  assertInOrder(labels, ['登记', '受理', '转办', '签收办理', '提交处理意见', '审核通过并答复', '回访', '办结'], 'timeline');
  await phoneCtx.close();
  for (const p of [clerk, handler, head]) await p.context().close();
});

test('2. a misrouted case is returned by the unit and rerouted by the clerk', async () => {
  const user = process.env.REDRESS_MISROUTE_USER;
  const password = process.env.REDRESS_MISROUTE_PASSWORD;
  assert.ok(user && password, 'REDRESS_MISROUTE_USER and REDRESS_MISROUTE_PASSWORD name a handler of the wrong unit');
  const s = story('2-reroute');
  const subject = `幸福社区小区电梯频繁停运 ${RUN}`;
  const reason = '该事项属于住房和城乡建设部门职责，不属于本单位职责范围，予以退回。';

  // The clerk registers a letter and routes it to the wrong unit.
  const clerk = await staff(b, 'clerk');
  await clickAndLoad(clerk, clerk.getByRole('navigation').getByRole('link', { name: '登记' }));
  await s.shot(clerk, 'intake-form');
  await clerk.getByLabel('来源渠道').selectOption({ label: '来信' });
  await clerk.getByLabel('标题').fill(subject);
  await clerk.getByLabel('诉求内容').fill('幸福社区某小区2号楼电梯近一个月多次停运，物业维修后仍反复故障，请求督促整改。');
  await clerk.getByLabel('问题发生地').selectOption({ label: '城关镇/幸福社区' });
  await clerk.getByLabel('姓名').fill('钱桂兰');
  await clerk.getByLabel('联系电话').fill('13900135790');
  await clickAndLoad(clerk, clerk.getByRole('button', { name: '登记', exact: true }));
  await s.shot(clerk, 'case-registered');
  assert.equal(await caseStatus(clerk), '待受理');
  const caseUrl = clerk.url().split('?')[0];
  await act(clerk, 'accept');
  await act(clerk, 'route', async (f) => {
    await f.getByLabel('主办单位').selectOption({ label: MISROUTE_UNIT });
    await f.getByLabel('方式').selectOption({ label: '转办' });
  });
  await s.shot(clerk, 'case-misrouted');
  assert.equal(await caseStatus(clerk), '已转交待签收');

  // That unit's handler returns it with a reason.
  const wrong = await staff(b, user, password);
  await s.shot(wrong, 'wrong-unit-workbench');
  const toSign = rowIn(wrong, 'inbox-h', subject);
  assert.equal(await toSign.count(), 1, `the case is in ${MISROUTE_UNIT}'s 待签收`);
  await clickAndLoad(wrong, toSign.getByRole('link'));
  assert.equal(await caseStatus(wrong), '已转交待签收');
  await s.shot(wrong, 'case-to-return');
  const returnForm = wrong.locator('#action-return');
  await returnForm.locator('summary').click();
  await returnForm.getByLabel('退回理由').fill(reason);
  await clickAndLoad(wrong, returnForm.getByRole('button', { name: '退回' }));
  await s.shot(wrong, 'after-return');
  // The case is no longer the unit's: the handler lands on the workbench with a message, and
  // the case has left their 待签收.
  assert.match(new URL(wrong.url()).pathname, /^\/console$/);
  assert.match(await wrong.getByRole('status').innerText(), /退回.*已完成/);
  assert.equal(await rowIn(wrong, 'inbox-h', subject).count(), 0, 'gone from the unit\'s 待签收');
  await wrong.context().close();

  // The clerk finds it back among 已受理待转交 and reroutes it.
  await clickAndLoad(clerk, clerk.getByRole('navigation').getByRole('link', { name: '事项列表' }));
  const filters = clerk.getByRole('search', { name: '筛选事项' });
  await filters.getByLabel('标题或查询码').fill(subject);
  await filters.getByLabel('状态').selectOption({ label: '已受理待转交' });
  await clickAndLoad(clerk, filters.getByRole('button', { name: '筛选' }));
  await s.shot(clerk, 'list-returned');
  assert.match(await text(clerk.locator('#result-count')), /^共 1 件/);
  await clickAndLoad(clerk, clerk.locator('tbody tr', { hasText: subject }).getByRole('link'));
  assert.equal(clerk.url(), caseUrl);
  assert.equal(await caseStatus(clerk), '已受理待转交');
  await act(clerk, 'route', async (f) => {
    await f.getByLabel('主办单位').selectOption({ label: HOUSING });
    await f.getByLabel('方式').selectOption({ label: '转办' });
    await f.getByLabel('转办意见').fill('经核实属住建部门职责，请依法办理。');
  });
  await s.shot(clerk, 'case-rerouted');
  assert.equal(await caseStatus(clerk), '已转交待签收');
  const entries = await timeline(clerk);
  assertInOrder(entries.map((e) => e.label), ['登记', '受理', '转办', '退回', '转办'], 'timeline');
  const routes = entries.filter((e) => e.label === '转办');
  assert.equal(routes.length, 2, 'two 转办 entries');
  assert.ok(routes[0].text.includes(MISROUTE_UNIT) && routes[1].text.includes(HOUSING), `the first to ${MISROUTE_UNIT}, the second to ${HOUSING}: ${JSON.stringify(routes)}`);
  assert.ok(entries.find((e) => e.label === '退回').text.includes(reason), 'the 退回 entry gives the reason');
  // And the right unit now has it to sign for.
  const handler = await staff(b, 'handler');
  assert.equal(await rowIn(handler, 'inbox-h', subject).count(), 1, 'the case is in the housing bureau\'s 待签收');
  await s.shot(handler, 'right-unit-workbench');
  await handler.context().close();
  await clerk.context().close();
});

test('3. overdue cases and supervision escalate to the leader; a new 督办 reaches the unit', async () => {
  const s = story('3-overdue');
  const leader = await staff(b, 'leader');
  await s.shot(leader, 'leader-workbench');
  const overdue = Number(await text(leader.locator('#count-overdue')));
  assert.ok(overdue > 0, `the leader sees overdue cases (超期 ${overdue})`);
  assert.match(await text(leader.locator('#inbox-h')), /^已超期（[1-9]\d*）/);
  const escalated = leader.locator('section[aria-labelledby="esc-h"]');
  assert.equal(await escalated.count(), 1, 'a 督办逾期 section');
  assert.match(await text(leader.locator('#esc-h')), /^督办逾期/);
  const rows = escalated.locator('tbody tr');
  assert.ok((await rows.count()) > 0, 'it lists overdue supervision');
  for (const row of await rows.all()) assert.ok((await text(row)).includes('已逾期'), `each is marked 已逾期: ${await text(row)}`);
  // The demo always has one (crates/app/src/demo.rs, overdue_under_supervision).
  assert.equal(await escalated.locator('tbody tr', { hasText: '办理进度滞后，请于十日内报告办理进展' }).count(), 1, 'the demo\'s overdue 督办 is listed');
  await clickAndLoad(leader, rows.first().getByRole('link'));
  await s.shot(leader, 'escalated-case');
  assert.match(await text(leader.locator('#deadline-clock')), /已超期\d+天/, 'the case page shows it is overdue');
  assert.ok((await timeline(leader)).some((e) => e.label === '督办'), 'its timeline has the 督办');
  await leader.context().close();

  // A supervisor issues a new 督办 on an open case of the housing bureau.
  const note = `请于五日内报告办理进展并答复信访人 ${RUN}`;
  const due = beijingDate(5);
  const sup = await staff(b, 'supervisor');
  await clickAndLoad(sup, sup.getByRole('navigation').getByRole('link', { name: '事项列表' }));
  const filters = sup.getByRole('search', { name: '筛选事项' });
  await filters.getByLabel('状态').selectOption({ label: '在办（全部未办结）' });
  await filters.getByLabel('责任单位').selectOption({ label: HOUSING });
  await clickAndLoad(sup, filters.getByRole('button', { name: '筛选' }));
  await s.shot(sup, 'supervisor-list');
  const first = sup.locator('tbody tr').first();
  const number = await text(first.getByRole('link'));
  assert.match(number, /^XF\d{4}-\d+$/, 'the list has an open case of the housing bureau');
  const statusColumn = await sup.locator('thead th').evaluateAll((ths) => ths.findIndex((th) => th.textContent.trim() === '状态'));
  const listed = await text(first.locator('td').nth(statusColumn));
  await clickAndLoad(sup, first.getByRole('link'));
  assert.equal(await caseStatus(sup), listed, 'the case page shows the status the list did');
  await act(sup, 'supervise', async (f) => {
    await f.getByLabel('督办期限').fill(due);
    await f.getByLabel('督办事项和要求').fill(note);
  });
  await s.shot(sup, 'case-supervised');
  const last = (await timeline(sup)).at(-1);
  assert.equal(last.label, '督办');
  assert.ok(last.text.includes(note), `the timeline records it: ${last.text}`);
  await clickAndLoad(sup, sup.getByRole('navigation').getByRole('link', { name: '工作台' }));
  assert.equal(await rowIn(sup, 'si-h', note).count(), 1, 'it is under 我发出的督办');
  await sup.context().close();

  const handler = await staff(b, 'handler');
  await s.shot(handler, 'handler-workbench');
  assert.match(await text(handler.locator('#sr-h')), /^收到的督办/);
  const received = rowIn(handler, 'sr-h', note);
  assert.equal(await received.count(), 1, 'the handler sees it under 收到的督办');
  const row = await text(received);
  assert.ok(row.includes(number) && row.includes('剩5天') && row.includes(due), `with the case, the days left and the date: ${row}`);
  await clickAndLoad(handler, received.getByRole('link'));
  await s.shot(handler, 'supervised-case');
  assert.match(await text(handler.locator('h1')), new RegExp(number));
  await handler.context().close();
});

/** The focused element, described: its id, or its tag and text. */
async function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'body';
    return el.id || `${el.tagName.toLowerCase()}:${(el.textContent || el.value || '').trim()}`;
  });
}

/** Presses Tab until the element `want` (as `focused` describes it) has focus. */
async function tabTo(page, want, max = 40) {
  const seen = [];
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    seen.push(now);
    if (now === want) return seen;
  }
  assert.fail(`Tab never reached ${want}; focus went ${seen.join(' → ')}`);
}

test('4. login and the portal form work by keyboard alone; errors are announced beside the field', async () => {
  const s = story('4-keyboard');
  const ctx = await b.newContext();
  const page = await ctx.newPage();

  // Login: the cursor starts in 用户名; Tab goes to 密码, then to 登录; Enter signs in.
  await page.goto(`${BASE}/console/login`);
  await s.shot(page, 'login');
  assert.equal(await focused(page), 'username', 'the login form starts in 用户名');
  await page.keyboard.type('clerk');
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'password');
  await page.keyboard.type('redress-demo');
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'button:登录');
  await pressAndLoad(page, 'Enter');
  await s.shot(page, 'workbench-by-keyboard');
  assert.equal(new URL(page.url()).pathname, '/console');
  assert.equal(await text(page.locator('h1')), '工作台');

  // The portal form: Tab from the top reaches every field in order, then 提交.
  await page.goto(`${BASE}/submit`);
  const order = await tabTo(page, 'button:提交');
  assert.equal(order[0], 'a:跳到正文', 'the first Tab stop skips to the content');
  const fields = ['matter_type', 'subject', 'content', 'place', 'address', 'anonymous', 'name', 'phone', 'files', 'button:提交'];
  assert.deepEqual(order.filter((x) => fields.includes(x)), fields, `Tab order: ${order.join(' → ')}`);

  // Filled in by keyboard, without a subject: refused, the message beside the field, nothing lost.
  const content = '村口桥面护栏松动，多处断裂，孩子上学经过很危险，请尽快修复。';
  await page.goto(`${BASE}/submit`);
  await tabTo(page, 'content');
  await page.keyboard.type(content);
  await tabTo(page, 'place');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  const place = await page.locator('#place').inputValue();
  assert.notEqual(place, '', 'a place chosen with the arrow keys');
  await tabTo(page, 'name');
  await page.keyboard.type('孙志强');
  await page.keyboard.press('Tab');
  await page.keyboard.type('13600001357');
  await tabTo(page, 'button:提交');
  await pressAndLoad(page, 'Space');
  await s.shot(page, 'portal-refused');
  const err = page.locator('#err-subject');
  assert.equal(await err.count(), 1, 'an error for 标题');
  assert.equal(await err.getAttribute('role'), 'alert');
  assert.ok((await text(err)).length > 0, 'the error says what is wrong');
  assert.ok(await page.locator('#subject').evaluate((el) => el.closest('.field').contains(document.getElementById('err-subject'))), 'the error is beside the 标题 field');
  assert.equal(await page.locator('#content').inputValue(), content, 'the content is kept');
  assert.equal(await page.locator('#name').inputValue(), '孙志强');
  assert.equal(await page.locator('#phone').inputValue(), '13600001357');
  assert.equal(await page.locator('#place').inputValue(), place);

  // Add the subject, submit with Enter from the button.
  const subject = `村口桥面护栏断裂 ${RUN}`;
  await tabTo(page, 'subject');
  await page.keyboard.type(subject);
  await tabTo(page, 'button:提交');
  await pressAndLoad(page, 'Enter');
  await s.shot(page, 'portal-receipt');
  assert.equal(await text(page.locator('h1')), '提交成功');
  assert.ok((await text(page.locator('#receipt'))).includes(subject));
  await ctx.close();
});

test('5. a clerk refers a case to people\'s mediation; the mediator records a session and a written agreement, which the court confirms', async () => {
  const s = story('5-mediation');
  const clerk = await staff(b, 'clerk');

  // The mediation page from the menu: the demo's figures, disputes and the registry.
  await clickAndLoad(clerk, clerk.getByRole('navigation').getByRole('link', { name: '人民调解', exact: true }));
  await s.shot(clerk, 'mediation-list');
  assert.equal(await text(clerk.locator('h1')), '人民调解');
  assert.match(await text(clerk.locator('#mediation-stats')), /调解成功率/);
  assert.ok((await clerk.locator('#disputes tbody tr').count()) >= 5, 'the demo disputes are listed');
  await clickAndLoad(clerk, clerk.getByRole('link', { name: '调解委员会和调解员名册' }));
  await s.shot(clerk, 'mediation-registry');
  assert.ok((await text(clerk.locator('#committees'))).includes('县医疗纠纷人民调解委员会'));
  const committee = (await clerk.locator('#committees tbody tr td:first-child').allTextContents()).map((t) => t.trim()).find((t) => !t.includes('医疗'));
  assert.ok(committee, 'a town committee');

  // A case from the list, referred to mediation from its page.
  await clerk.goto(`${BASE}/console/cases`);
  await clickAndLoad(clerk, clerk.locator('main table tbody tr a').first());
  const caseUrl = clerk.url();
  const caseNumber = await text(clerk.locator('h1'));
  const refer = clerk.locator('#refer-mediation');
  assert.equal(await refer.count(), 1, 'the case page offers 转人民调解');
  await refer.getByLabel('调解委员会').selectOption({ label: committee });
  await refer.getByLabel('纠纷类型').selectOption({ label: '邻里纠纷' });
  await s.shot(clerk, 'case-refer');
  await clickAndLoad(clerk, refer.getByRole('button', { name: '转人民调解' }));
  await s.shot(clerk, 'dispute-registered');
  assert.match(new URL(clerk.url()).pathname, /^\/console\/mediation\/\d+$/);
  assert.equal(await text(clerk.locator('#dispute-stage')), '已受理');
  assert.ok((await text(clerk.locator('#dispute-facts'))).includes('信访事项转入'), 'the source is the case');

  // Parties and a mediator, then a session with its record.
  const actions = clerk.locator('#dispute-actions');
  await actions.getByLabel(/^当事人/).fill('申请人：张德顺\n被申请人：李建华');
  const mediator = actions.getByRole('checkbox').first();
  const mediatorName = (await mediator.evaluate((el) => el.closest('label').textContent)).trim().split('（')[0];
  await mediator.check();
  await clickAndLoad(clerk, actions.getByRole('button', { name: '保存', exact: true }));
  assert.deepEqual(await clerk.locator('[role=alert]').allTextContents(), []);
  assert.ok((await text(clerk.locator('#dispute-facts'))).includes(mediatorName), 'the mediator is recorded');
  const session = clerk.locator('#session-form');
  if (!(await session.evaluate((f) => f.closest('details').open))) await clerk.getByText('调解并记录笔录').click();
  await session.getByLabel('地点').fill('村委会调解室');
  await session.getByLabel('调解笔录（必填）').fill(`双方陈述排水沟争议经过，调解员释明相邻关系规定 ${RUN}`);
  await clickAndLoad(clerk, session.getByRole('button', { name: '保存笔录' }));
  await s.shot(clerk, 'dispute-session');
  assert.equal(await text(clerk.locator('#dispute-stage')), '调解中');
  assert.ok((await text(clerk.locator('#dispute-sessions'))).includes(RUN));

  // A written agreement with a performance item.
  await clerk.getByText('达成协议', { exact: true }).click();
  const agree = clerk.locator('#agree-form');
  await agree.getByLabel(/^纠纷的主要事实/).fill('两户相邻，排水沟堵塞致雨水漫入院内。');
  await agree.getByLabel(/^争议事项/).fill('排水沟疏通责任。');
  await agree.getByLabel(/^各方当事人的责任/).fill('双方均有责任。');
  await agree.getByLabel(/^协议内容/).fill('双方共同出资疏通排水沟，费用各半。');
  await agree.getByLabel(/^履行方式/).fill('自行履行，村调委会监督');
  await agree.getByLabel(/^履行事项/).fill(`${beijingDate(10)} 共同出资疏通排水沟`);
  await s.shot(clerk, 'dispute-agreement-form');
  await clickAndLoad(clerk, agree.getByRole('button', { name: '保存协议' }));
  await s.shot(clerk, 'dispute-agreed');
  assert.deepEqual(await clerk.locator('[role=alert]').allTextContents(), []);
  assert.equal(await text(clerk.locator('#dispute-stage')), '达成书面协议');
  assert.match(await text(clerk.locator('#confirmation')), /尚未申请/);

  // The 协议书 prints with the parties and the 30 days; the Word file downloads.
  const docLink = clerk.getByRole('link', { name: '人民调解协议书（网页打印）' });
  const doc = await clerk.context().newPage();
  await doc.goto(new URL(await docLink.getAttribute('href'), BASE).href);
  await s.shot(doc, 'agreement-print');
  const docText = await text(doc.locator('body'));
  for (const part of ['人民调解协议书', '张德顺', '李建华', '三十日内', mediatorName]) assert.ok(docText.includes(part), `the agreement shows ${part}`);
  await doc.close();
  const [download] = await Promise.all([clerk.waitForEvent('download'), clerk.getByRole('link', { name: '下载 Word' }).click()]);
  assert.match(download.suggestedFilename(), /\.docx$/);

  // Judicial confirmation: applied within 30 days, confirmed by the court.
  const confirm = clerk.locator('#confirm-form');
  await confirm.getByLabel('人民法院').fill('县人民法院');
  await clickAndLoad(clerk, confirm.getByRole('button', { name: '登记申请' }));
  await clickAndLoad(clerk, clerk.getByRole('button', { name: '登记裁定' }));
  await s.shot(clerk, 'dispute-confirmed');
  assert.match(await text(clerk.locator('#confirmation')), /已裁定确认有效/);
  const history = await text(clerk.locator('#dispute-history'));
  for (const part of ['信访事项转入', '第1次调解', '达成书面调解协议', '申请司法确认', '裁定确认调解协议有效']) assert.ok(history.includes(part), `history: ${part}`);

  // The case page links to the dispute.
  await clerk.goto(caseUrl);
  await s.shot(clerk, 'case-linked');
  assert.match(await text(clerk.locator('main')), /已转人民调解/);
  assert.ok(caseNumber.length > 0);
});

test('6. a resident answers a risk-assessment questionnaire; the unit concludes and files the assessment, the leader accepts it', async () => {
  const s = story('6-assessment');
  // The resident, on the portal: 意见征集.
  const ctx = await b.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const r = await ctx.newPage();
  await r.goto(`${BASE}/`);
  await clickAndLoad(r, r.getByRole('navigation').getByRole('link', { name: '意见征集' }));
  await s.shot(r, 'portal-consultations');
  assert.equal(await text(r.locator('h1')), '意见征集');
  const form = r.locator('main form').first();
  const comment = `建议错峰施工 ${RUN}`;
  await form.getByLabel('您属于（必选）').selectOption({ label: '沿街商户' });
  await form.getByLabel(/费用分摊/).fill('按楼层分摊比较合理');
  await form.getByLabel('其他意见和建议').fill(comment);
  // Without a position: refused, the message shown, nothing typed is lost.
  await clickAndLoad(r, form.getByRole('button', { name: '提交意见' }));
  await s.shot(r, 'portal-consultation-refused');
  assert.match(await text(r.locator('[role=alert]')), /请选择您的态度/);
  assert.equal(await r.locator('main form').first().getByLabel('其他意见和建议').inputValue(), comment);
  assert.equal(await r.locator('main form').first().getByLabel(/费用分摊/).inputValue(), '按楼层分摊比较合理');
  await r.locator('main form').first().getByLabel('反对').check();
  await clickAndLoad(r, r.locator('main form').first().getByRole('button', { name: '提交意见' }));
  await s.shot(r, 'portal-consultation-thanks');
  assert.match(await text(r.locator('[role=status]')), /感谢您参与意见征集/);
  await ctx.close();

  // The responsible unit's head: the register, the assessment at step 4 with the answer counted.
  const head = await staff(b, 'head');
  await clickAndLoad(head, head.getByRole('navigation').getByRole('link', { name: '稳评', exact: true }));
  await s.shot(head, 'assessment-register');
  assert.equal(await text(head.locator('h1')), '社会稳定风险评估');
  await clickAndLoad(head, head.locator('#assessment-register a').first());
  await s.shot(head, 'assessment-step4');
  assert.match(await text(head.locator('#assessment-step')), /第4步 形成评估结论/);
  assert.equal(await text(head.locator('#responses')), '5', 'four demo answers and the resident\'s');
  assert.ok((await text(head.locator('#tallies'))).includes('沿街商户'));
  assert.match(await text(head.locator('#computed')), /风险/);
  await clickAndLoad(head, head.locator('#conclude-form').getByRole('button', { name: '形成结论' }));
  await s.shot(head, 'assessment-concluded');
  assert.deepEqual(await head.locator('[role=alert]').allTextContents(), []);
  assert.match(await text(head.locator('#assessment-level')), /风险/);
  const measure = head.locator('#measure-form');
  await measure.getByLabel('措施内容').fill(`施工期间设置临时停车场 ${RUN}`);
  await measure.getByLabel('责任单位').fill('城关镇');
  await measure.getByLabel('完成时限').fill(beijingDate(15));
  await clickAndLoad(head, measure.getByRole('button', { name: '增加' }));
  assert.ok((await text(head.locator('#measures'))).includes(RUN));
  await clickAndLoad(head, head.getByRole('button', { name: '报备评估报告' }));
  await s.shot(head, 'assessment-filed');
  assert.match(await text(head.locator('#filing')), /待上级审核/);

  // The leader accepts the filing; the report prints in the standard outline.
  const leader = await staff(b, 'leader');
  await leader.goto(head.url());
  const review = leader.locator('#review-form');
  await review.getByLabel('审核结果').selectOption({ label: '审核通过' });
  await clickAndLoad(leader, review.getByRole('button', { name: '提交审核意见' }));
  await s.shot(leader, 'assessment-accepted');
  assert.match(await text(leader.locator('#filing')), /上级已审核通过/);
  assert.match(await text(leader.locator('#assessment-step')), /第6步 全程跟踪督查/);
  const report = await leader.context().newPage();
  await report.goto(new URL(await leader.getByRole('link', { name: '评估报告（网页打印）' }).getAttribute('href'), BASE).href);
  await s.shot(report, 'assessment-report');
  const body = await text(report.locator('body'));
  for (const part of ['社会稳定风险评估报告', '一、评估事项基本情况', '三、各方意见', '四、风险识别和分析', '五、风险等级和评估结论', '六、风险防范化解措施', RUN]) {
    assert.ok(body.includes(part), `the report has ${part}`);
  }
});

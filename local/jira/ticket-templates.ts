import type { TicketLabel } from './taxonomy.js';
import type { TicketContext } from './ticket-context.js';

/**
 * The text of synthetic tickets, per label: several templates each, written the way customers (portal
 * forms, angry, terse, typos), support agents (escalation notes about a customer) and engineers (ids, pasted
 * errors and logs) write them. Each template is written to sit squarely in its atom under the taxonomy's
 * tie-break rules, so the generator's `intendedAtom` is a fair label for a classifier.
 */

export interface TicketText {
  summary: string;
  /** Plain text (blank-line paragraphs, `- ` bullets, ``` fences); '' for an empty ticket. */
  body: string;
}

export type Template = (c: TicketContext) => TicketText;

const annualMonthly: Template[] = [
  (c) => ({
    summary: 'Charged monthly but I paid for a year',
    body: `I upgraded ${c.zone()} to ${c.plan()} on the annual plan back in ${c.month(6)} and paid ${c.money()} up front. Today there is another charge of ${c.money()} and the receipt says "monthly". Why am I being billed monthly when I bought annual??${c.acctLine()}${c.sig()}`,
  }),
  (c) => ({
    summary: `Cx bought annual, invoice shows monthly interval${c.acct()}`,
    body: `Customer reports their ${c.plan()} subscription renewed as monthly instead of annual. Latest invoice ${c.invoice()} bills one month. They are asking us to honour the annual price they signed up for.\n\n- original purchase: ${c.day(200)}\n- monthly charge: ${c.day(10)}\n- customer has the annual confirmation email`,
  }),
  (c) => ({
    summary: 'Stripe subscription interval does not match OPE',
    body: `Stripe ${c.sub()} bills the month price on its plan item while OPE has interval=year for this purchase${c.acct()}. Looks like the price was swapped during the plan change on ${c.day(20)}.\n\n\`\`\`\nstripe: price_pro_month_usd  interval=month\nope:    interval=year\n\`\`\``,
  }),
  (c) => ({
    summary: 'Unexpected yearly renewal',
    body: `I got a receipt for a yearly renewal of ${c.money()} today. I never chose yearly billing, I thought I was on month to month. Please switch me back to monthly and refund the difference.${c.sig()}`,
  }),
  (c) => ({
    summary: 'why did my plan swtich to yearly',
    body: `hi, my plan swiched from monthly to anual without me doing anything. the charge was ${c.money()} on ${c.day(6)}. didnt agree to this${c.acct()}`,
  }),
  (c) => ({
    summary: `Billing cycle changed from annual to monthly after downgrade`,
    body: `After downgrading from Business to Pro on ${c.day(25)} the customer's billing cycle changed from annual to monthly. They were charged ${c.money()} on ${c.day(5)}. Customer expects the rest of the annual term to carry over, not a new monthly subscription.${c.acctLine()}`,
  }),
  (c) => ({
    summary: 'Invoice says "Pro (monthly)" - I ordered annual',
    body: `Pasting the line from my invoice:\n\n\`\`\`\nPro plan (monthly)   x1   ${c.money()}\nBilling period: ${c.day(3)} - ${c.day(1)}\n\`\`\`\n\nI ordered the annual plan. Please fix the interval.${c.sig()}`,
  }),
];

const cancellationFailure: Template[] = [
  (c) => ({
    summary: `Cancelled in ${c.month(3)} but still charged`,
    body: `I cancelled my ${c.plan()} plan for ${c.zone()} in ${c.month(3)} and got the confirmation email. I was charged ${c.money()} again this month. Please stop the subscription and refund this charge.${c.acctLine()}${c.sig()}`,
  }),
  (c) => ({
    summary: `Customer charged after cancelling${c.acct()}`,
    body: `Customer cancelled the subscription via the dashboard on ${c.day(40)} (they sent a screenshot of the confirmation). They were charged ${c.money()} on ${c.day(7)} anyway. Requesting refund of that charge and confirmation that nothing renews.`,
  }),
  (c) => ({
    summary: 'cancel_at_period_end not set on Stripe after cancel',
    body: `OPE shows cancelAtPeriodEnd=true for this purchase but Stripe ${c.sub()} still has cancel_at_period_end=false, so it will renew${c.acct()}.\n\n\`\`\`\n> stripe subscriptions retrieve ${c.sub()}\n  "cancel_at_period_end": false,\n  "status": "active",\n\`\`\``,
  }),
  (c) => ({
    summary: 'Cannot cancel subscription - error',
    body: `Every time I click "Cancel subscription" I get this:\n\n\`\`\`\nSomething went wrong. Please try again later. (code 1004, ray ${c.rayId()})\n\`\`\`\n\nI want to cancel before the next renewal on ${c.day(2)}.${c.sig()}`,
  }),
  (c) => ({
    summary: 'Downgraded to Free, still billed for Pro',
    body: `We downgraded ${c.zone()} to the Free plan on ${c.day(45)}. The ${c.month(1)} invoice ${c.invoice()} still bills Pro at ${c.money()}. The downgrade obviously did not go through on the billing side.${c.acctLine()}`,
  }),
  (c) => ({
    summary: `Removed ${c.addon()} but it is still on my invoice`,
    body: `We removed the add-on from our account on ${c.day(50)}, the dashboard says it is off. The new invoice ${c.invoice()} still charges for it. Please remove it and credit us.${c.acct()}${c.sig()}`,
  }),
  (c) => ({
    summary: 'STOP CHARGING ME',
    body: `i cancelled my subscripton TWICE now (last time ${c.day(40)}) and you keep taking ${c.money()} every month. cancel it for good${c.acct()}`,
  }),
];

const stuckProcessing: Template[] = [
  (c) => ({
    summary: 'Upgrade stuck on "Processing"',
    body: `I upgraded ${c.zone()} to ${c.plan()} about two hours ago. The dashboard still says "Processing your change" and nothing happened. Is it stuck?${c.acctLine()}${c.sig()}`,
  }),
  (c) => ({
    summary: `Plan change pending for 3 days${c.acct()}`,
    body: `Customer requested an upgrade to Business on ${c.day(4)}. The subscription page still shows "Change pending" and the plan has not changed. No charge has been taken yet either. Can billing engineering check why the change is not being applied?`,
  }),
  (c) => ({
    summary: 'Scheduled plan change never applied',
    body: `OPE has a scheduled change effective ${c.day(3)} (quantity +1 on the plan item) that is still not in Stripe ${c.sub()}. The apply job shows it as PENDING since then${c.acct()}.\n\n\`\`\`\njob=apply-scheduled-change request=${c.requestId()} state=PENDING attempts=0\n\`\`\``,
  }),
  (c) => ({
    summary: 'payment pending forever',
    body: `My payment for the upgrade shows "Pending" since ${c.day(6)}. The card was not declined, it just sits there. When will it go through?${c.sig()}`,
  }),
  (c) => ({
    summary: 'Downgrade not going through',
    body: `I requested a downgrade from Business to Pro. The status says "Scheduled" but the date it was scheduled for (${c.day(5)}) has passed and I am still on Business.${c.acct()}${c.sig()}`,
  }),
  (c) => ({
    summary: `Change status stuck: change_pending`,
    body: `From the billing tool for this customer:\n\n\`\`\`\nStatus: change_pending   (since ${c.day(8)})\nRequested: add ${c.addon()}\n\`\`\`\n\nCustomer cannot make any other change while this is pending.${c.acctLine()}`,
  }),
  (c) => ({
    summary: 'upgrade wont finish',
    body: `clicked upgrade, it spins then says "your change is being processed". been like that since ${c.day(2)}. zone ${c.zone()}`,
  }),
];

const ghostSubscription: Template[] = [
  (c) => ({
    summary: 'Charge for a subscription I do not recognise',
    body: `There is a ${c.money()} charge from Cloudflare on my card for "${c.addon()}". I never signed up for that and I cannot find it anywhere in my dashboard. What is this?${c.acctLine()}${c.sig()}`,
  }),
  (c) => ({
    summary: `Customer billed for a zone they deleted${c.acct()}`,
    body: `Zone ${c.zone()} was deleted in ${c.month(5)}. The customer is still being charged for its ${c.plan()} plan every month. The zone no longer appears in their dashboard so they cannot cancel it themselves.`,
  }),
  (c) => ({
    summary: 'Orphan Stripe subscription with no OPE purchase',
    body: `Stripe ${c.sub()} (customer ${c.customer()}) is active and billing, but there is no OPE subscription with its ope_subscription_id for this account${c.acct()}. Nobody on the account can see it.`,
  }),
  (c) => ({
    summary: 'what is this charge?',
    body: `what is ${c.sub()}?? my account only has one zone and its on the free plan. never bought anything${c.sig()}`,
  }),
  (c) => ({
    summary: 'Account deleted but still charged',
    body: `I deleted my Cloudflare account on ${c.day(60)}. I just got charged ${c.money()} again. How can a deleted account have a subscription?${c.sig()}`,
  }),
  (c) => ({
    summary: `Billed for ${c.addon()} - not visible in dashboard`,
    body: `Customer's invoices show a recurring charge for the add-on but it does not appear under Billing > Subscriptions for them or for us in the admin view.${c.acctLine()}\n\nCustomer has no idea where it came from.`,
  }),
  (c) => ({
    summary: 'Unknown CLOUDFLARE charge on statement',
    body: `My bank statement shows "CLOUDFLARE* ${c.rayId().slice(0, 8).toUpperCase()}" for ${c.money()}. I do not have a subscription with you that I know of. please explain${c.acct()}`,
  }),
];

const checkoutBlocked: Template[] = [
  (c) => ({
    summary: 'Card declined when upgrading',
    body: `Trying to upgrade ${c.zone()} to ${c.plan()} and it fails every time:\n\n\`\`\`\nYour card was declined. (decline_code: ${c.pick(['do_not_honor', 'insufficient_funds', 'generic_decline', 'card_velocity_exceeded'])})\n\`\`\`\n\nMy bank says they see no attempt. Other shops work fine.${c.sig()}`,
  }),
  (c) => ({
    summary: 'Cannot add a new payment method',
    body: `The "Add card" form spins forever and then says "An unexpected error occurred". Tried Chrome and Firefox, two different cards (one is ${c.card()}).${c.acctLine()}${c.sig()}`,
  }),
  (c) => ({
    summary: `Customer unable to update expired card${c.acct()}`,
    body: `Customer's card on file (${c.card()}) expired on ${c.day(20)}. When they enter the new card the form returns "We could not verify your card" without any bank prompt. Account is in good standing, they just want to keep paying.`,
  }),
  (c) => ({
    summary: 'Checkout returns 402 payment_intent_authentication_failure',
    body: `Checkout for this account fails with a 402${c.acct()}:\n\n\`\`\`json\n{"error":{"code":"payment_intent_authentication_failure","payment_intent":{"id":"${c.paymentIntent()}","status":"requires_payment_method"}}}\n\`\`\``,
  }),
  (c) => ({
    summary: '3D Secure popup closes and payment never completes',
    body: `When I pay for ${c.plan()} the 3D Secure window opens, I approve it in my banking app, and then the window just closes. No upgrade, no charge. Tried 4 times.${c.sig()}`,
  }),
  (c) => ({
    summary: 'SEPA mandate could not be created',
    body: `Trying to pay by SEPA direct debit. After entering the IBAN (DE${c.rng.int(10, 99)} ...${c.rng.int(1000, 9999)}) I get "The mandate could not be created. Please try another payment method." We have no credit card in the company.${c.acctLine()}${c.sig()}`,
  }),
  (c) => ({
    summary: 'cant upgrade, payment keeps failling',
    body: `payment keeps failling when i try to go to ${c.plan()} on ${c.zone()}. "payment_method_invalid". card is brand new (${c.card()})${c.acct()}`,
  }),
];

const badDebtState: Template[] = [
  (c) => ({
    summary: 'Account restricted for non-payment - we have paid',
    body: `We paid invoice ${c.invoice()} yesterday but the account still shows "Restricted: past due" and we cannot make changes. Please lift the restriction.${c.acctLine()}${c.sig()}`,
  }),
  (c) => ({
    summary: `Customer in dunning wants restrictions removed${c.acct()}`,
    body: `Customer has been in dunning since ${c.day(30)} after a failed renewal. They settled the balance of ${c.money()} on ${c.day(3)} and are asking for the past-due status and the feature restrictions to be cleared.`,
  }),
  (c) => ({
    summary: 'bad_debt flag still true after payment',
    body: `Customer ${c.customer()} paid the overdue invoice but metadata bad_debt is still "true", so the account stays suspended${c.acct()}.\n\nPlease clear the flag:\n\n\`\`\`\nmetadata: { bad_debt: "true" }\n\`\`\``,
  }),
  (c) => ({
    summary: 'Why is my account past due? I updated my card',
    body: `I got an email saying my account is past due and services will be suspended. I updated my card on ${c.day(4)} and the outstanding invoice shows as paid. Please remove the past due status.${c.sig()}`,
  }),
  (c) => ({
    summary: '"Your account has an outstanding balance" banner',
    body: `Dashboard for ${c.zone()} shows:\n\n\`\`\`\nYour account has an outstanding balance. Some features are disabled until it is paid. (ray ${c.rayId()})\n\`\`\`\n\nThere is no unpaid invoice in the billing page, last one paid ${c.day(15)}. Please fix the account state.${c.acctLine()}`,
  }),
  (c) => ({
    summary: 'Suspended for non-payment, balance settled',
    body: `Escalating: ${c.zone()} was suspended for non-payment. Customer wired the full amount (${c.money()}) on ${c.day(5)}, finance confirmed receipt. Suspension still active.${c.acct()}`,
  }),
  (c) => ({
    summary: 'acount restricted even tho i paid',
    body: `my acount is restricted even tho i paid everything (${c.money()} on ${c.day(10)}). pls unlock${c.acct()}`,
  }),
];

const voidWaive: Template[] = [
  (c) => ({
    summary: `Please void invoice ${c.invoice()}`,
    body: `Our account manager agreed that the ${c.month(1)} invoice would be waived as a goodwill gesture after the outage on ${c.day(30)}. Please void it so it stops showing as open.${c.acctLine()}${c.sig()}`,
  }),
  (c) => ({
    summary: `Credit request for SLA breach${c.acct()}`,
    body: `Customer is asking for a credit of ${c.money()} on their next invoice for the SLA breach on ${c.day(20)}. Business plan, 100% uptime SLA. Please apply the credit.`,
  }),
  (c) => ({
    summary: 'Write off uncollectible invoice',
    body: `Please write off ${c.invoice()} (${c.money()}). Customer is a registered non-profit, write-off approved by ${c.name()} in finance.${c.acctLine()}`,
  }),
  (c) => ({
    summary: 'Can you waive the overage charge?',
    body: `We had a DDoS on ${c.day(15)} that inflated our usage. Can you waive the overage of ${c.money()} on the latest invoice? We were not at fault.${c.sig()}`,
  }),
  (c) => ({
    summary: 'Credit note needed',
    body: `Please issue a credit note for invoice ${c.invoice()}. The staging zone on it is covered by the partner programme and should be free.${c.acct()}${c.sig()}`,
  }),
  (c) => ({
    summary: 'pls void this invoce',
    body: `pls void this invoce ${c.invoice()}, we agreed with sales it would be zero`,
  }),
];

const invoiceConfusion: Template[] = [
  (c) => ({
    summary: 'Do not understand the line items on my invoice',
    body: `My invoice ${c.invoice()} has these lines and I do not understand them:\n\n- Unused time on Pro after ${c.day(20)}: -${c.money()}\n- Remaining time on Business after ${c.day(20)}: ${c.money()}\n- Business (monthly): ${c.money()}\n\nWhat am I actually paying?${c.sig()}`,
  }),
  (c) => ({
    summary: 'VAT charged although we have a VAT ID',
    body: `We were charged VAT on ${c.invoice()} but we are a business with VAT number DE${c.rng.int(100000000, 999999999)}. Please re-issue the invoice with our VAT ID and without VAT.${c.acctLine()}${c.sig()}`,
  }),
  (c) => ({
    summary: 'Wrong company name on invoice',
    body: `The invoice shows our old company name. We changed it on ${c.day(90)}. Our accounting cannot book it like this. Please re-issue ${c.invoice()} with the current name and address.${c.acct()}${c.sig()}`,
  }),
  (c) => ({
    summary: `Missing invoice for ${c.month(2)}`,
    body: `I cannot find the invoice for ${c.month(2)} in the billing section. The charge of ${c.money()} is on my card statement. Where is the invoice?${c.acctLine()}${c.sig()}`,
  }),
  (c) => ({
    summary: 'Need our PO number on invoices',
    body: `Our procurement requires PO number PO-${c.rng.int(10000, 99999)} on every invoice. How do we add it, and can you re-issue the last one with it?${c.sig()}`,
  }),
  (c) => ({
    summary: `Customer confused by proration credit${c.acct()}`,
    body: `Customer sees a negative line of -${c.money()} on their latest invoice after changing plans and thinks it is an error. Can someone explain the proration so I can pass it on?`,
  }),
  (c) => ({
    summary: 'Invoice amount differs from pricing page',
    body: `The pricing page says ${c.plan()} costs ${c.money()} but my invoice ${c.invoice()} says ${c.money()}. Which one is right and why is the invoice different?${c.acct()}${c.sig()}`,
  }),
  (c) => ({
    summary: 'Invoice not visible in customer dashboard',
    body: `Invoice ${c.invoice()} exists in Stripe but does not show in the customer's billing history${c.acct()}. Its metadata cf_account_id is ${c.pick(['missing', 'set to another account'])}.\n\nCustomer is asking where their invoice is.`,
  }),
];

const entitlementDrift: Template[] = [
  (c) => ({
    summary: 'Paying for Pro but zone shows Free',
    body: `I am paying ${c.money()} a month for Pro on ${c.zone()} (charged on ${c.day(10)}) but the zone overview says Free plan and I do not have the Pro features.${c.acctLine()}${c.sig()}`,
  }),
  (c) => ({
    summary: 'Features missing after upgrade',
    body: `Upgraded to Business on ${c.day(12)}, got the confirmation and was charged ${c.money()}. WAF custom rules are still limited like on Pro and I cannot enable the Business features.${c.acct()}${c.sig()}`,
  }),
  (c) => ({
    summary: 'subs-api and www disagree on zone plan',
    body: `Zone ${c.zone()}: subs-api says plan=business, www says pro. Customer is billed for Business but only gets Pro entitlements${c.acct()}.\n\n\`\`\`\nGET /v1/zones/... -> {"planLevel":"business"}\nwww zones.plan_level = 'pro'\n\`\`\``,
  }),
  (c) => ({
    summary: `Paid for Load Balancing but cannot create pools${c.acct()}`,
    body: `Customer bought Load Balancing on ${c.day(7)} and it is on their invoice, but creating a pool fails with "Load balancing is not enabled for this account".`,
  }),
  (c) => ({
    summary: 'Upgrade confirmed by email but plan did not change',
    body: `I got the email "Your plan has been upgraded to ${c.plan()}" on ${c.day(6)} and the charge went through. The dashboard still shows my old plan.${c.acctLine()}${c.sig()}`,
  }),
  (c) => ({
    summary: `${c.addon()} not enabled though it is billed`,
    body: `The add-on is on the last two invoices (latest ${c.invoice()}) and marked active in billing, but the feature is greyed out in the dashboard with "Upgrade to use this feature".${c.acct()}${c.sig()}`,
  }),
  (c) => ({
    summary: 'paid for buisness, still pro',
    body: `paid for buisness plan ${c.day(9)}, charge is on my card, zone still on pro. ${c.zone()}${c.acct()}`,
  }),
];

const orderingDuplicate: Template[] = [
  (c) => ({
    summary: 'Charged twice for the same upgrade',
    body: `I upgraded ${c.zone()} once on ${c.day(5)} and I see two charges of ${c.money()} on my card the same day. Please refund one of them.${c.acctLine()}${c.sig()}`,
  }),
  (c) => ({
    summary: `Two ${c.plan()} subscriptions for one zone`,
    body: `The billing page lists two identical subscriptions for ${c.zone()}, both active and both billed since ${c.day(30)}. I only want one.${c.acct()}${c.sig()}`,
  }),
  (c) => ({
    summary: 'Duplicate subscription item in Stripe',
    body: `Stripe ${c.sub()} has two items for the same price (${c.item()} and a copy with _dup suffix), so the customer pays the add-on twice${c.acct()}.`,
  }),
  (c) => ({
    summary: `Duplicate order and double charge${c.acct()}`,
    body: `Customer received two order confirmations and two charges of ${c.money()} on ${c.day(3)} for a single purchase. They want one reversed and the extra subscription removed.`,
  }),
  (c) => ({
    summary: `Workers Paid listed twice on ${c.month(1)} invoice`,
    body: `Our ${c.month(1)} invoice has "Workers Paid" twice with the same period. We only have one.${c.sig()}`,
  }),
  (c) => ({
    summary: "There's a second subscription I don't know about",
    body: `Next to my ${c.plan()} subscription for ${c.zone()} there is a second one for the same plan and zone that I never created. Looks like a duplicate - please cancel it and refund.${c.acct()}${c.sig()}`,
  }),
  (c) => ({
    summary: 'charged 2x',
    body: `charged 2x for the same thing ${c.money()} + ${c.money()}, check ${c.charge()}`,
  }),
];

const refundDispute: Template[] = [
  (c) => ({
    summary: 'Refund request',
    body: `I upgraded to ${c.plan()} on ${c.day(3)} but we have decided not to use it after all. Could I get a refund please?${c.acctLine()}${c.sig()}`,
  }),
  (c) => ({
    summary: `Chargeback received${c.acct()}`,
    body: `Customer opened a dispute with their bank for ${c.money()} (${c.dispute()}), reason "product not received". Evidence is due ${c.day(2)}. Please advise whether we contest.`,
  }),
  (c) => ({
    summary: 'Where is my refund?',
    body: `Support promised me a refund of ${c.money()} on ${c.day(20)} and I still do not see it on my card. What is the status?${c.acct()}${c.sig()}`,
  }),
  (c) => ({
    summary: 'Did not use the service, want my money back',
    body: `We never pointed our DNS to you, so we never used the service this month. Please refund the ${c.money()}.${c.sig()}`,
  }),
  (c) => ({
    summary: `Dispute ${c.dispute()} needs evidence`,
    body: `Stripe dispute for charge ${c.charge()} (${c.money()}), reason: fraudulent. Need usage logs and the signup IP before ${c.day(1)}.${c.acctLine()}`,
  }),
  (c) => ({
    summary: 'I was overcharged',
    body: `I think I was overcharged this month, the bill is ${c.money()} and I expected about ${c.money()}. I would like a refund of the difference.${c.acct()}${c.sig()}`,
  }),
  (c) => ({
    summary: 'refund pls',
    body: `want a refund, bought ${c.plan()} by mistake ${c.day(4)}${c.acct()}`,
  }),
];

const operational: Template[] = [
  (c) => ({
    summary: `Bulk migrate ${c.rng.int(40, 900)} accounts to the new price catalogue`,
    body: `Finance wants the remaining legacy-price subscriptions moved to the current catalogue before quarter end.\n\n- list attached (CSV)\n- dry run first\n- no proration, effective next renewal\n\nOwner: ${c.name()}`,
  }),
  (c) => ({
    summary: 'Export of all past-due accounts for finance',
    body: `Please export every account currently past due or in dunning, with balance and days overdue, for the ${c.month(1)} close. CSV to the finance drive, ${c.name()} will pick it up.`,
  }),
  (c) => ({
    summary: `Billing admin tool access for ${c.name()}`,
    body: `New hire on the billing ops team needs read access to the billing admin tool and Stripe dashboard (view only). Manager approval in thread.`,
  }),
  (c) => ({
    summary: 'Runbook: rotate Stripe webhook signing secret',
    body: `Quarterly rotation is due (last done ${c.day(95)}).\n\n- create new endpoint secret\n- update Secret Manager\n- redeploy webhook receiver\n- verify events arrive, then remove old secret`,
  }),
  (c) => ({
    summary: 'Data fix: backfill cf_account_id on invoices for reporting team',
    body: `The reporting team's revenue dashboard drops invoices without metadata cf_account_id. Please backfill from the subscription metadata for invoices created since ${c.day(120)}.\n\n\`\`\`sql\nselect count(*) from invoices where metadata->>'cf_account_id' is null;\n\`\`\``,
  }),
  (c) => ({
    summary: `Quarterly revenue report for FP&A`,
    body: `FP&A needs MRR by plan and add-on, split by currency, for the quarter ending ${c.month(0)}. Same format as last quarter; ${c.name()} owns the deck.`,
  }),
  (c) => ({
    summary: 'Clean up test subscriptions in staging Stripe',
    body: `Staging Stripe has ~${c.rng.int(200, 3000)} test subscriptions from load tests. Cancel everything with metadata test_run set, keep fixtures.`,
  }),
];

const unclassified: Template[] = [
  (c) => ({
    summary: 'CNAME not resolving',
    body: `I added a CNAME for www.${c.zone()} two days ago and it still does not resolve. dig returns NXDOMAIN.\n\n\`\`\`\n;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: ${c.rng.int(1000, 65000)}\n\`\`\``,
  }),
  (c) => ({
    summary: 'Password reset email never arrives',
    body: `I cannot log in and the password reset email never arrives (checked spam). Please help me get into my account.${c.sig()}`,
  }),
  (c) => ({
    summary: 'Boost your website traffic 300% !!!',
    body: `Dear Sir/Madam, we are a leading SEO agency. We can put ${c.zone()} on first page of Google in 30 days. Reply for our price list.`,
  }),
  () => ({ summary: 'help', body: '' }),
  () => ({
    summary: 'Frage zu meinem Konto',
    body: 'Hallo, ich kann mich seit gestern nicht mehr anmelden und bekomme keine E-Mail. Können Sie mir bitte helfen? Danke',
  }),
  () => ({
    summary: 'アカウントについて',
    body: 'お世話になっております。管理画面にログインできません。至急ご確認をお願いいたします。',
  }),
  (c) => ({
    summary: 'Consulta',
    body: `Hola, no entiendo cómo configurar el certificado para mi dominio ${c.zone()}. ¿Me pueden ayudar? Gracias.`,
  }),
  (c) => ({
    summary: 'SSL certificate stuck on pending validation',
    body: `The edge certificate for ${c.zone()} has been "Pending Validation" for a day. The TXT record is in place.`,
  }),
  () => ({ summary: 'test', body: 'test please ignore' }),
];

export const TEMPLATES: Record<TicketLabel, readonly Template[]> = {
  'annual-monthly-confusion': annualMonthly,
  'cancellation-failure': cancellationFailure,
  'stuck-processing': stuckProcessing,
  'ghost-subscription': ghostSubscription,
  'checkout-blocked': checkoutBlocked,
  'bad-debt-state': badDebtState,
  'void-waive': voidWaive,
  'invoice-confusion': invoiceConfusion,
  'entitlement-drift': entitlementDrift,
  'ordering-duplicate': orderingDuplicate,
  'refund-dispute': refundDispute,
  operational,
  unclassified,
};

/**
 * Deterministic demo data for the store. Every subgraph seeds its own database
 * from these arrays, so ids line up across accounts, catalog, inventory, cart,
 * orders, payments and shipping. Everything here is fictional.
 *
 * All ids are hard-coded UUIDs (SHA-1 of a stable name, formatted with version 5
 * and RFC 4122 variant bits); never generate ids at runtime for demo rows.
 *
 * Demo logins (plain text on purpose; hash them when seeding accounts):
 *   customers  ada@example.com, grace@example.com, linus@example.com, mei@example.com
 *              password: "storefront-demo-1"
 *   admin      admin@example.com
 *              password: "backoffice-demo-1"
 */

export type DemoRole = "CUSTOMER" | "ADMIN";
export type DemoOrderStatus = "DELIVERED" | "SHIPPED" | "PAID";

export interface DemoCategory {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly description: string;
}

export interface DemoProduct {
  readonly id: string;
  readonly sku: string;
  readonly name: string;
  readonly description: string;
  readonly categoryId: string;
  /** Integer minor units (cents). */
  readonly priceCents: number;
  readonly currency: "USD";
  /** Units on hand; integer >= 0. */
  readonly stock: number;
}

export interface DemoAddress {
  readonly id: string;
  readonly label: string;
  readonly line1: string;
  readonly line2?: string;
  readonly city: string;
  readonly postalCode: string;
  /** ISO 3166-1 alpha-2. */
  readonly country: string;
}

export interface DemoUser {
  readonly id: string;
  /** Lowercase. */
  readonly email: string;
  readonly name: string;
  readonly role: DemoRole;
  /** Plain-text demo password; hash before storing. */
  readonly password: string;
  readonly addresses: readonly DemoAddress[];
}

export interface DemoOrderLine {
  readonly productId: string;
  readonly quantity: number;
}

export interface DemoOrder {
  readonly id: string;
  readonly customerId: string;
  readonly status: DemoOrderStatus;
  /** ISO 8601 timestamp (UTC). */
  readonly placedAt: string;
  /** One of the customer's addresses in demoUsers. */
  readonly shippingAddressId: string;
  readonly lines: readonly DemoOrderLine[];
  readonly paymentId: string;
  readonly shipmentId: string;
  readonly trackingNumber: string;
}

export const DEMO_CUSTOMER_PASSWORD = "storefront-demo-1";
export const DEMO_ADMIN_PASSWORD = "backoffice-demo-1";

const COF = "561c5112-473d-5ceb-a420-ce7ab80275dc"; // Coffee & Tea
const KIT = "db6d988f-06a5-5837-9447-6ab264f17c84"; // Kitchen
const BOK = "318b8b2a-57fc-5989-8116-8333ecdf56a5"; // Books
const OUT = "0d34875e-513d-5f8d-b7e7-81c0d6f9be47"; // Outdoor
const AUD = "c5d39ec1-6ab8-5728-9f60-5c55a8c36e42"; // Audio
const STA = "37e580a3-cc5a-5c73-81cc-241363a78c99"; // Stationery
const OFF = "9be0dc64-f795-5f23-b139-03f0755b5c74"; // Home Office

export const demoCategories: readonly DemoCategory[] = [
  { id: COF, slug: "coffee-tea", name: "Coffee & Tea", description: "Single-origin beans, loose-leaf teas and the gear to brew them well." },
  { id: KIT, slug: "kitchen", name: "Kitchen", description: "Cookware, knives and tools for everyday cooking and baking." },
  { id: BOK, slug: "books", name: "Books", description: "Cookbooks, field guides, novels and practical handbooks." },
  { id: OUT, slug: "outdoor", name: "Outdoor", description: "Camping, hiking and trail essentials built to last." },
  { id: AUD, slug: "audio", name: "Audio", description: "Headphones, speakers and listening gear for home and travel." },
  { id: STA, slug: "stationery", name: "Stationery", description: "Notebooks, pens, inks and desk supplies for writing by hand." },
  { id: OFF, slug: "home-office", name: "Home Office", description: "Desks, chairs and accessories for a comfortable workspace." },
];

export const demoProducts: readonly DemoProduct[] = [
  // Coffee & Tea
  { id: "c043f81a-0912-54be-8211-0c8d98b41864", sku: "COF-0001", name: "Ethiopia Yirgacheffe Whole Bean Coffee 340g", description: "Light-roast washed Ethiopian beans with notes of jasmine, bergamot and lemon.", categoryId: COF, priceCents: 1699, currency: "USD", stock: 140 },
  { id: "c900d5e9-f05b-541d-b9f7-f06caea2ff1a", sku: "COF-0002", name: "Colombia Huila Medium Roast 1kg", description: "A balanced medium roast from Huila with caramel sweetness and a round, nutty finish.", categoryId: COF, priceCents: 3899, currency: "USD", stock: 85 },
  { id: "56341191-0c24-5356-84c9-a5d70b6ebb88", sku: "COF-0003", name: "Swiss Water Decaf House Blend 340g", description: "Chemical-free decaf blend of Brazilian and Peruvian beans for late-evening cups.", categoryId: COF, priceCents: 1549, currency: "USD", stock: 60 },
  { id: "ae5c4b48-b553-59c2-86b1-5e9d072cf059", sku: "COF-0004", name: "Japanese Sencha Green Tea 100g", description: "Steamed first-harvest sencha from Shizuoka with a fresh, grassy sweetness.", categoryId: COF, priceCents: 1250, currency: "USD", stock: 95 },
  { id: "8d92b859-87d6-5362-bd47-ed5e6f96ce3d", sku: "COF-0005", name: "Darjeeling First Flush Loose Leaf 100g", description: "Spring-picked Darjeeling with a bright, floral cup and a gentle muscatel note.", categoryId: COF, priceCents: 1875, currency: "USD", stock: 40 },
  { id: "2ab85d47-0bc3-5822-af71-77cab998e3af", sku: "COF-0006", name: "Earl Grey Cream Tea Bags (20)", description: "Black tea scented with bergamot oil and vanilla, packed in plant-based pyramid bags.", categoryId: COF, priceCents: 699, currency: "USD", stock: 210 },
  { id: "87cb6f8f-ef72-5403-9e5f-d86886346940", sku: "COF-0007", name: "Ceremonial Grade Matcha 30g", description: "Stone-ground Uji matcha for whisking into a smooth, vivid green bowl of tea.", categoryId: COF, priceCents: 2799, currency: "USD", stock: 35 },
  { id: "c486302d-887c-55c1-917a-a5e964a3c153", sku: "COF-0008", name: "Stovetop Espresso Maker 6-Cup", description: "Polished aluminium moka pot that brews six small cups of rich coffee on any hob.", categoryId: COF, priceCents: 4299, currency: "USD", stock: 48 },
  { id: "2af04946-35aa-5525-a849-658f9ef9ce3b", sku: "COF-0009", name: "Gooseneck Pour-Over Kettle 1L", description: "Stainless steel kettle with a precision spout and built-in thermometer for pour-over.", categoryId: COF, priceCents: 6900, currency: "USD", stock: 27 },
  { id: "46d23c50-24e4-526b-8ed9-1a30ad5c7335", sku: "COF-0010", name: "Conical Burr Coffee Grinder", description: "Electric grinder with 40 grind settings, from fine espresso to coarse French press.", categoryId: COF, priceCents: 14900, currency: "USD", stock: 18 },
  { id: "fe7a32b3-af0b-5272-95de-e087ee40aa7b", sku: "COF-0011", name: "Glass Cold Brew Pitcher 1.5L", description: "Borosilicate pitcher with a fine mesh filter for overnight cold brew coffee or tea.", categoryId: COF, priceCents: 3299, currency: "USD", stock: 72 },
  { id: "9e54b4a9-8b51-5f05-ab31-15faab363368", sku: "COF-0012", name: "Dual Boiler Espresso Machine", description: "Café-grade espresso machine with PID temperature control and simultaneous steaming.", categoryId: COF, priceCents: 129900, currency: "USD", stock: 2 },
  // Kitchen
  { id: "91bbb1e9-b4ea-5e65-aae4-f057b6f4903d", sku: "KIT-0001", name: "Cast Iron Skillet 26cm", description: "Pre-seasoned cast iron pan that sears, bakes and fries on stovetop, oven or campfire.", categoryId: KIT, priceCents: 4599, currency: "USD", stock: 64 },
  { id: "d2e80c83-e33a-5799-84af-428f312ab058", sku: "KIT-0002", name: "Chef's Knife 20cm", description: "Forged high-carbon stainless steel chef's knife with a full tang and walnut handle.", categoryId: KIT, priceCents: 8900, currency: "USD", stock: 33 },
  { id: "d7669a8e-38dc-5c75-ae25-ec8001bc9d58", sku: "KIT-0003", name: "End-Grain Bamboo Cutting Board", description: "Large reversible board with a juice groove that is gentle on knife edges.", categoryId: KIT, priceCents: 3450, currency: "USD", stock: 58 },
  { id: "c2d514ab-db53-5f90-85ed-7260c9231fff", sku: "KIT-0004", name: "Stainless Steel Mixing Bowl Set (3)", description: "Nesting bowls in 1.5, 3 and 5 litre sizes with non-slip silicone bases.", categoryId: KIT, priceCents: 2999, currency: "USD", stock: 77 },
  { id: "e094ac98-71aa-5729-96ce-03ad9bb924b5", sku: "KIT-0005", name: "Silicone Spatula Set (4)", description: "Heat-resistant one-piece spatulas that will not trap food or melt in hot pans.", categoryId: KIT, priceCents: 1499, currency: "USD", stock: 150 },
  { id: "73b2f047-9761-560e-95bb-f39ff15b88c3", sku: "KIT-0006", name: "Enameled Dutch Oven 5.5L", description: "Heavy enameled cast iron pot for braises, stews and crusty no-knead bread.", categoryId: KIT, priceCents: 21900, currency: "USD", stock: 3 },
  { id: "9f761212-9feb-5b24-aa2a-798862f61e33", sku: "KIT-0007", name: "Digital Kitchen Scale", description: "Slim scale accurate to one gram with a tare button and a 5 kg capacity.", categoryId: KIT, priceCents: 2499, currency: "USD", stock: 110 },
  { id: "e7d0f676-ae7a-5070-bee4-88b72e21ed43", sku: "KIT-0008", name: "Linen Tea Towels (Set of 2)", description: "Stonewashed linen towels that get softer and more absorbent with every wash.", categoryId: KIT, priceCents: 1800, currency: "USD", stock: 90 },
  { id: "9ad19f8d-fe51-5269-bf50-7f19b1a265dd", sku: "KIT-0009", name: "Tilt-Head Stand Mixer 4.8L", description: "Stand mixer with ten speeds, a dough hook, flat beater and wire whisk.", categoryId: KIT, priceCents: 39900, currency: "USD", stock: 12 },
  { id: "dec1883b-d46f-5cde-ad56-260c805d69be", sku: "KIT-0010", name: "Salad Spinner", description: "Pump-action spinner that dries greens in seconds and doubles as a serving bowl.", categoryId: KIT, priceCents: 2750, currency: "USD", stock: 44 },
  { id: "aaabb73b-939c-5ac0-9c7e-c9e0a6610e38", sku: "KIT-0011", name: "Olive Wood Salt Cellar", description: "Hand-carved olive wood salt box with a swivel lid to keep flaky salt within reach.", categoryId: KIT, priceCents: 1950, currency: "USD", stock: 38 },
  { id: "7cdcc8b0-ebce-5ae6-968b-32afa0a63a35", sku: "KIT-0012", name: "Instant-Read Meat Thermometer", description: "Folding probe thermometer that gives an accurate reading in about three seconds.", categoryId: KIT, priceCents: 2299, currency: "USD", stock: 96 },
  // Books
  { id: "6fff5362-9675-5544-bb37-53918a90da10", sku: "BOK-0001", name: "The Home Barista's Handbook", description: "A practical hardcover guide to dialing in espresso, milk texture and pour-over at home.", categoryId: BOK, priceCents: 3200, currency: "USD", stock: 26 },
  { id: "5bf3a6a2-f0f3-5187-bed7-90fc723c42eb", sku: "BOK-0002", name: "Field Guide to Backyard Birds", description: "Illustrated pocket guide to identifying common birds by shape, song and habitat.", categoryId: BOK, priceCents: 2450, currency: "USD", stock: 41 },
  { id: "8a145f67-2f5b-5bbb-a3be-818e1b3d6ab4", sku: "BOK-0003", name: "Sourdough from Scratch", description: "Step-by-step recipes for building a starter and baking open-crumb loaves in a home oven.", categoryId: BOK, priceCents: 2899, currency: "USD", stock: 37 },
  { id: "e1c0eca1-8d17-5262-849d-81068be53346", sku: "BOK-0004", name: "Learning TypeScript by Building", description: "A project-based introduction to TypeScript that grows a small web app chapter by chapter.", categoryId: BOK, priceCents: 4499, currency: "USD", stock: 22 },
  { id: "0ec36c9d-0bc7-58e9-ae4e-cc27e7e8abbc", sku: "BOK-0005", name: "The Quiet Coast: A Novel", description: "A slow-burning family story set in a fishing village over one stormy winter.", categoryId: BOK, priceCents: 1699, currency: "USD", stock: 54 },
  { id: "fdd85544-09e1-5c07-bdaa-6af778d2ec74", sku: "BOK-0006", name: "Maps of Forgotten Places", description: "An oversized atlas of abandoned towns and lost islands, told through hand-drawn maps.", categoryId: BOK, priceCents: 3500, currency: "USD", stock: 0 },
  { id: "54daacc2-111e-5ea3-893d-6875a41dd944", sku: "BOK-0007", name: "Watercolor for Beginners", description: "Friendly lessons on washes, color mixing and simple landscapes with a limited palette.", categoryId: BOK, priceCents: 1999, currency: "USD", stock: 45 },
  { id: "876037b7-a8ca-566b-9257-ac9d39d211ce", sku: "BOK-0008", name: "Mountain Trails of the Pacific Northwest", description: "Detailed route descriptions, elevation profiles and maps for sixty day hikes.", categoryId: BOK, priceCents: 2299, currency: "USD", stock: 31 },
  { id: "6d2f84f2-97be-598e-b880-e2f133e9a30c", sku: "BOK-0009", name: "Salt and Spray: Stories of the Sea", description: "A paperback collection of short stories about sailors, harbors and the open ocean.", categoryId: BOK, priceCents: 1299, currency: "USD", stock: 62 },
  { id: "980db825-f55d-54a1-a690-e162cde378b8", sku: "BOK-0010", name: "Otter Finds a Home", description: "A gently illustrated picture book about a young otter searching for a place to belong.", categoryId: BOK, priceCents: 1499, currency: "USD", stock: 70 },
  { id: "9df76b5b-38fd-501c-93ae-d7211c5564a4", sku: "BOK-0011", name: "The Weekend Crossword Collection", description: "One hundred medium-difficulty crosswords on bright white paper with answers at the back.", categoryId: BOK, priceCents: 999, currency: "USD", stock: 120 },
  { id: "c740bd23-421c-5043-9196-9e84dc2b575e", sku: "BOK-0012", name: "Practical Distributed Systems", description: "A hands-on book on replication, consensus and failure handling for working engineers.", categoryId: BOK, priceCents: 5499, currency: "USD", stock: 15 },
  // Outdoor
  { id: "8c519054-7b6d-5967-bb51-55f5d2bb37ac", sku: "OUT-0001", name: "Ultralight Two-Person Tent", description: "Freestanding backpacking tent weighing 1.3 kg with two doors and two vestibules.", categoryId: OUT, priceCents: 34900, currency: "USD", stock: 1 },
  { id: "945d2be6-a97b-5def-bd13-914119dcf0f2", sku: "OUT-0002", name: "Down Sleeping Bag -5°C", description: "Responsibly sourced 650-fill down bag that packs into a compact compression sack.", categoryId: OUT, priceCents: 27900, currency: "USD", stock: 9 },
  { id: "54d40844-2ba5-5a24-bac4-f6ddb1b11916", sku: "OUT-0003", name: "Insulated Water Bottle 750ml", description: "Double-wall stainless bottle that keeps drinks cold for a day and hot for twelve hours.", categoryId: OUT, priceCents: 3200, currency: "USD", stock: 180 },
  { id: "89c84612-94ba-5aa8-b05e-9bd581640548", sku: "OUT-0004", name: "Carbon Trekking Poles (Pair)", description: "Lightweight three-section carbon poles with cork grips and quick-lock adjusters.", categoryId: OUT, priceCents: 7999, currency: "USD", stock: 29 },
  { id: "35f27e19-3885-5e56-9077-662c14982628", sku: "OUT-0005", name: "Rechargeable Headlamp 400 Lumen", description: "USB-C rechargeable headlamp with red night mode and a tilting beam.", categoryId: OUT, priceCents: 3999, currency: "USD", stock: 88 },
  { id: "66866cd3-aa73-5a5e-83d1-3c3388f83cd1", sku: "OUT-0006", name: "Compact Camp Stove", description: "Palm-sized canister stove that boils a litre of water in about four minutes.", categoryId: OUT, priceCents: 5499, currency: "USD", stock: 46 },
  { id: "78986dc1-1bae-5bf2-aef7-136751d359c5", sku: "OUT-0007", name: "Hiking Daypack 24L", description: "Ventilated daypack with a hydration sleeve, hip-belt pockets and a rain cover.", categoryId: OUT, priceCents: 8900, currency: "USD", stock: 34 },
  { id: "065fea86-6b26-5868-bbd8-7935a5c25624", sku: "OUT-0008", name: "Folding Camp Chair", description: "Sturdy aluminium-frame chair that folds flat and supports up to 120 kg.", categoryId: OUT, priceCents: 6499, currency: "USD", stock: 25 },
  { id: "77e43079-5bb1-571f-879f-9fd51facbd50", sku: "OUT-0009", name: "Merino Hiking Socks (2 Pairs)", description: "Cushioned merino wool socks that stay warm when wet and resist odor on long trails.", categoryId: OUT, priceCents: 2200, currency: "USD", stock: 140 },
  { id: "4904f9ec-b970-50c7-9fa0-b2d79c187ac3", sku: "OUT-0010", name: "Waterproof Map Case", description: "Clear roll-top case that keeps maps and phones dry and readable in the rain.", categoryId: OUT, priceCents: 1450, currency: "USD", stock: 66 },
  { id: "54ba2ed3-4a2b-58c8-a5f4-6277983f1c30", sku: "OUT-0011", name: "Trail First Aid Kit", description: "Compact kit with blister care, bandages and an emergency blanket for day hikes.", categoryId: OUT, priceCents: 2999, currency: "USD", stock: 53 },
  { id: "01151763-c1a7-5f37-aded-8d068b61f7fd", sku: "OUT-0012", name: "Parachute Nylon Hammock", description: "Breathable hammock with tree-friendly straps that sets up in under two minutes.", categoryId: OUT, priceCents: 5999, currency: "USD", stock: 39 },
  // Audio
  { id: "95cebdc1-04ba-5b18-be8a-067dc4762de3", sku: "AUD-0001", name: "Noise-Cancelling Over-Ear Headphones", description: "Wireless over-ear headphones with adaptive noise cancelling and 30-hour battery life.", categoryId: AUD, priceCents: 29900, currency: "USD", stock: 21 },
  { id: "3a83570b-a8ac-5c26-9c89-9f61d56866b4", sku: "AUD-0002", name: "True Wireless Earbuds", description: "Compact earbuds with a pocketable charging case and sweat-resistant design.", categoryId: AUD, priceCents: 12900, currency: "USD", stock: 64 },
  { id: "37941ff7-7867-5ef2-9a90-c95775e7086c", sku: "AUD-0003", name: "Powered Bookshelf Speakers (Pair)", description: "Active speakers with Bluetooth, optical input and a built-in phono stage.", categoryId: AUD, priceCents: 24900, currency: "USD", stock: 14 },
  { id: "c7fc56fd-e0b1-5b22-bc12-5e8a88500208", sku: "AUD-0004", name: "Portable Bluetooth Speaker", description: "Waterproof speaker with 360-degree sound and a strap for hanging on a pack.", categoryId: AUD, priceCents: 7999, currency: "USD", stock: 73 },
  { id: "a87aae83-fd58-55be-8faf-23c530a01fb6", sku: "AUD-0005", name: "USB Condenser Microphone", description: "Cardioid studio microphone with a headphone jack for podcasts and video calls.", categoryId: AUD, priceCents: 10900, currency: "USD", stock: 30 },
  { id: "25ce06f9-0800-5d47-9f6b-98e797b09b47", sku: "AUD-0006", name: "Belt-Drive Turntable", description: "Two-speed turntable with a carbon tonearm and a pre-mounted moving-magnet cartridge.", categoryId: AUD, priceCents: 34900, currency: "USD", stock: 0 },
  { id: "d26f0c5d-050b-5c21-a33d-71a8e668447d", sku: "AUD-0007", name: "Desktop Headphone DAC/Amp", description: "Compact USB DAC and headphone amplifier that drives demanding studio headphones.", categoryId: AUD, priceCents: 18900, currency: "USD", stock: 11 },
  { id: "6f22c76b-0634-59d0-87a8-85ba6dadcd20", sku: "AUD-0008", name: "Closed-Back Studio Headphones", description: "Accurate, comfortable monitoring headphones with a detachable coiled cable.", categoryId: AUD, priceCents: 14900, currency: "USD", stock: 19 },
  { id: "3ca8b8a6-ecde-50d3-a75e-35eab04278c2", sku: "AUD-0009", name: "Braided 3.5mm Audio Cable 2m", description: "Durable braided auxiliary cable with gold-plated connectors and strain relief.", categoryId: AUD, priceCents: 1299, currency: "USD", stock: 230 },
  { id: "091bf606-2eff-5445-aeb9-01dffd11c9ec", sku: "AUD-0010", name: "Walnut Headphone Stand", description: "Solid walnut stand with a weighted base that keeps headphones off the desk.", categoryId: AUD, priceCents: 3999, currency: "USD", stock: 42 },
  { id: "763a1fb3-5701-5a5b-9bbb-b3407afd4f7b", sku: "AUD-0011", name: "2.1 Soundbar with Wireless Subwoofer", description: "Slim soundbar with a wireless subwoofer, HDMI ARC and a clear dialogue mode.", categoryId: AUD, priceCents: 44900, currency: "USD", stock: 8 },
  { id: "72099c72-973a-5896-ac3e-6a74d1156ad6", sku: "AUD-0012", name: "Vinyl Record Cleaning Kit", description: "Carbon fiber brush, cleaning fluid and microfiber pad to keep records playing cleanly.", categoryId: AUD, priceCents: 2499, currency: "USD", stock: 57 },
  // Stationery
  { id: "37a7a7a4-a844-58ba-adb6-717f89906dda", sku: "STA-0001", name: "Dot Grid Notebook A5", description: "Lay-flat notebook with 160 numbered pages of 100 gsm fountain-pen-friendly paper.", categoryId: STA, priceCents: 2200, currency: "USD", stock: 160 },
  { id: "66756f4d-61eb-597e-aa15-58e8bea8ed40", sku: "STA-0002", name: "Fountain Pen, Fine Nib", description: "Brass fountain pen with a smooth steel nib that takes cartridges or a converter.", categoryId: STA, priceCents: 4800, currency: "USD", stock: 36 },
  { id: "6d0309cd-fc3f-5b7c-ab8c-ce7d1d4f70fc", sku: "STA-0003", name: "Bottled Ink Blue-Black 50ml", description: "Fast-drying, water-resistant ink with a deep blue tone that darkens on the page.", categoryId: STA, priceCents: 1650, currency: "USD", stock: 80 },
  { id: "a9f8dc79-04eb-5fd9-95f8-14318ef22f8a", sku: "STA-0004", name: "Gel Pens 0.5mm (Pack of 10)", description: "Smooth-writing gel pens in ten archival colors with quick-dry ink.", categoryId: STA, priceCents: 1299, currency: "USD", stock: 200 },
  { id: "a538c4d9-d134-51e1-8125-4e90b83b2010", sku: "STA-0005", name: "HB Graphite Pencils (12)", description: "Cedar pencils with break-resistant cores for sketching, writing and crosswords.", categoryId: STA, priceCents: 899, currency: "USD", stock: 175 },
  { id: "b6aaec05-2152-5d69-844f-10e221a68c89", sku: "STA-0006", name: "Washi Tape Set (6)", description: "Repositionable paper tapes in muted patterns for journals, labels and gift wrap.", categoryId: STA, priceCents: 1100, currency: "USD", stock: 130 },
  { id: "7dba7ec9-8de9-55f5-beb3-dadf0a06e359", sku: "STA-0007", name: "Leather Notebook Cover A5", description: "Vegetable-tanned leather cover with a pen loop that ages into a rich patina.", categoryId: STA, priceCents: 5900, currency: "USD", stock: 3 },
  { id: "87f7ed08-4876-5994-af89-74b55154d266", sku: "STA-0008", name: "Brass Desk Ruler 30cm", description: "Solid brass ruler with etched metric and imperial markings and a cork backing.", categoryId: STA, priceCents: 2400, currency: "USD", stock: 47 },
  { id: "a6f208a5-1e4b-59bb-926b-c55c388c310d", sku: "STA-0009", name: "Letterpress Greeting Cards (8)", description: "Blank cards printed on thick cotton paper with matching kraft envelopes.", categoryId: STA, priceCents: 1800, currency: "USD", stock: 65 },
  { id: "f618c0bb-2b87-53fa-bfea-3fe15a244418", sku: "STA-0010", name: "Weekly Desk Planner 2026", description: "Week-to-view planner for 2026 with monthly overviews and a ribbon bookmark.", categoryId: STA, priceCents: 2600, currency: "USD", stock: 88 },
  { id: "5afaa60f-4524-5c28-83ed-41dc68ee63dc", sku: "STA-0011", name: "Vinyl Eraser", description: "Soft white eraser that lifts graphite cleanly without smudging or tearing paper.", categoryId: STA, priceCents: 350, currency: "USD", stock: 250 },
  { id: "de11916e-9638-58e4-a0aa-fa40d98a4ea3", sku: "STA-0012", name: "Pastel Highlighters (6)", description: "Chisel-tip highlighters in soft shades that will not bleed through thin paper.", categoryId: STA, priceCents: 799, currency: "USD", stock: 190 },
  // Home Office
  { id: "8758e4c9-ae6a-57d9-9d13-30b06d653493", sku: "OFF-0001", name: "Electric Standing Desk 140x70", description: "Dual-motor sit-stand desk with four height presets and a bamboo top.", categoryId: OFF, priceCents: 54900, currency: "USD", stock: 7 },
  { id: "744b05d5-9886-5bce-a9fe-88c263b4a530", sku: "OFF-0002", name: "Ergonomic Mesh Office Chair", description: "Breathable mesh chair with adjustable lumbar support, armrests and seat depth.", categoryId: OFF, priceCents: 42900, currency: "USD", stock: 10 },
  { id: "b86b1b71-6fc6-50e3-b765-bbd3d86e307d", sku: "OFF-0003", name: "Single Monitor Arm", description: "Gas-spring arm that holds monitors up to 32 inches and clamps to most desks.", categoryId: OFF, priceCents: 11900, currency: "USD", stock: 28 },
  { id: "37d945e6-ca6f-59db-adf2-feafe0b3635e", sku: "OFF-0004", name: "LED Desk Lamp with Dimmer", description: "Flicker-free lamp with adjustable color temperature and a USB charging port.", categoryId: OFF, priceCents: 6900, currency: "USD", stock: 51 },
  { id: "103a9432-0f5f-53dd-aff6-76e9fb0833b9", sku: "OFF-0005", name: "Mechanical Keyboard, Tactile Switches", description: "Tenkeyless aluminium keyboard with hot-swappable tactile switches and PBT keycaps.", categoryId: OFF, priceCents: 13900, currency: "USD", stock: 24 },
  { id: "7e3593e5-ded5-5c13-a3ab-bbb79e00f6e4", sku: "OFF-0006", name: "Wireless Ergonomic Mouse", description: "Sculpted vertical mouse that reduces wrist strain, with silent clicks and USB-C charging.", categoryId: OFF, priceCents: 7999, currency: "USD", stock: 68 },
  { id: "1d121a27-2acf-5e5a-8c00-a5325f2760ea", sku: "OFF-0007", name: "Wool Felt Desk Mat", description: "Large merino felt mat that protects the desk and quiets keyboard and mouse.", categoryId: OFF, priceCents: 3499, currency: "USD", stock: 83 },
  { id: "4ce7e661-7b5a-5d29-b39d-b81084511248", sku: "OFF-0008", name: "Aluminium Laptop Stand", description: "Foldable stand that raises a laptop to eye level and improves airflow.", categoryId: OFF, priceCents: 4999, currency: "USD", stock: 59 },
  { id: "640373d4-66e1-5ae8-9008-eb6361021ffc", sku: "OFF-0009", name: "USB-C Docking Station", description: "Dock with dual HDMI, Ethernet, SD card reader and 100 W pass-through charging.", categoryId: OFF, priceCents: 18900, currency: "USD", stock: 0 },
  { id: "9b810083-abf3-5893-ac59-5db123ccdf9f", sku: "OFF-0010", name: "Under-Desk Cable Tray", description: "Steel mesh tray that mounts under the desk to hide power strips and cables.", categoryId: OFF, priceCents: 2999, currency: "USD", stock: 74 },
  { id: "2565270f-d12b-594f-a5f2-fb2c48f8ce5e", sku: "OFF-0011", name: "Adjustable Footrest", description: "Tilting footrest with a textured surface that encourages better sitting posture.", categoryId: OFF, priceCents: 4499, currency: "USD", stock: 32 },
  { id: "e0296db3-d2a0-51dd-af07-94d7d5dd4dfa", sku: "OFF-0012", name: "1080p Webcam with Privacy Cover", description: "Full HD webcam with autofocus, dual microphones and a sliding privacy shutter.", categoryId: OFF, priceCents: 8999, currency: "USD", stock: 43 },
];

export const demoUsers: readonly DemoUser[] = [
  {
    id: "ec94a7be-b774-50be-bdcf-103f376111aa",
    email: "ada@example.com",
    name: "Ada Fernández",
    role: "CUSTOMER",
    password: DEMO_CUSTOMER_PASSWORD,
    addresses: [
      { id: "a6006875-aa09-5b90-931a-067340bbae0e", label: "Home", line1: "742 Alder Street", line2: "Apt 3B", city: "Portland", postalCode: "97205", country: "US" },
      { id: "ba19d336-4a24-5b9a-8ad5-3020d8101749", label: "Work", line1: "1200 NW Marshall Street", line2: "Suite 400", city: "Portland", postalCode: "97209", country: "US" },
    ],
  },
  {
    id: "7c43b975-ce51-5cf4-bbd0-75f9c38180f1",
    email: "grace@example.com",
    name: "Grace Okafor",
    role: "CUSTOMER",
    password: DEMO_CUSTOMER_PASSWORD,
    addresses: [
      { id: "ae815128-95d0-574e-a551-13f29854052c", label: "Home", line1: "18 Kingsland Road", city: "London", postalCode: "E2 8DA", country: "GB" },
    ],
  },
  {
    id: "745ce81e-7603-5c0d-bb46-c1f3e1334b1a",
    email: "linus@example.com",
    name: "Linus Berg",
    role: "CUSTOMER",
    password: DEMO_CUSTOMER_PASSWORD,
    addresses: [
      { id: "2e8e6eea-00bc-54a1-9ddc-0f90da1ae6e2", label: "Home", line1: "Schönhauser Allee 112", city: "Berlin", postalCode: "10439", country: "DE" },
      { id: "15d4c3c0-a277-5f41-a667-7a34c5c5e9be", label: "Parents", line1: "Hauptstraße 7", line2: "2. OG", city: "Heidelberg", postalCode: "69117", country: "DE" },
    ],
  },
  {
    id: "9075bf26-60fb-56a5-88c5-63e249e8f286",
    email: "mei@example.com",
    name: "Mei Tanaka",
    role: "CUSTOMER",
    password: DEMO_CUSTOMER_PASSWORD,
    addresses: [
      { id: "1f1ed018-e624-53ab-9409-7e9b00591e48", label: "Home", line1: "2-14-5 Nishiazabu", line2: "Room 501", city: "Tokyo", postalCode: "106-0031", country: "JP" },
    ],
  },
  {
    id: "189cb47a-9f79-5afa-9b3a-ef5230a28d67",
    email: "admin@example.com",
    name: "Store Admin",
    role: "ADMIN",
    password: DEMO_ADMIN_PASSWORD,
    addresses: [],
  },
];

export const demoOrders: readonly DemoOrder[] = [
  {
    id: "688cc506-4267-5e96-886c-dd42dd81a7af",
    customerId: "ec94a7be-b774-50be-bdcf-103f376111aa", // ada@example.com
    status: "DELIVERED",
    placedAt: "2026-01-14T09:32:00.000Z",
    shippingAddressId: "a6006875-aa09-5b90-931a-067340bbae0e",
    lines: [
      { productId: "c043f81a-0912-54be-8211-0c8d98b41864", quantity: 2 }, // COF-0001
      { productId: "2af04946-35aa-5525-a849-658f9ef9ce3b", quantity: 1 }, // COF-0009
      { productId: "6fff5362-9675-5544-bb37-53918a90da10", quantity: 1 }, // BOK-0001
    ],
    paymentId: "ced481a1-0a85-5039-a585-49282b40c507",
    shipmentId: "aadc1824-0a79-545f-a852-028052439c31",
    trackingNumber: "TRK-2026-000117",
  },
  {
    id: "6faefef3-db3c-5837-b9f8-8ede74fa352e",
    customerId: "7c43b975-ce51-5cf4-bbd0-75f9c38180f1", // grace@example.com
    status: "SHIPPED",
    placedAt: "2026-02-21T16:05:00.000Z",
    shippingAddressId: "ae815128-95d0-574e-a551-13f29854052c",
    lines: [
      { productId: "103a9432-0f5f-53dd-aff6-76e9fb0833b9", quantity: 1 }, // OFF-0005
      { productId: "1d121a27-2acf-5e5a-8c00-a5325f2760ea", quantity: 1 }, // OFF-0007
    ],
    paymentId: "55cb496c-a5db-5128-9de9-eacd8406302a",
    shipmentId: "32066a54-1451-5cfe-8314-8f69f9d2b391",
    trackingNumber: "TRK-2026-000224",
  },
  {
    id: "340567ce-cf02-549a-824e-c10c7c04d194",
    customerId: "745ce81e-7603-5c0d-bb46-c1f3e1334b1a", // linus@example.com
    status: "PAID",
    placedAt: "2026-03-03T11:48:00.000Z",
    shippingAddressId: "2e8e6eea-00bc-54a1-9ddc-0f90da1ae6e2",
    lines: [
      { productId: "54d40844-2ba5-5a24-bac4-f6ddb1b11916", quantity: 2 }, // OUT-0003
      { productId: "35f27e19-3885-5e56-9077-662c14982628", quantity: 1 }, // OUT-0005
      { productId: "37a7a7a4-a844-58ba-adb6-717f89906dda", quantity: 3 }, // STA-0001
    ],
    paymentId: "bff763f5-ddc4-5e47-bd36-9ed0ca1a8fb6",
    shipmentId: "83993108-6930-5485-9c0d-863f59ae877a",
    trackingNumber: "TRK-2026-000331",
  },
];

const productsById: ReadonlyMap<string, DemoProduct> = new Map(demoProducts.map((p) => [p.id, p]));

export function demoProductById(id: string): DemoProduct | undefined {
  return productsById.get(id);
}

/** Sum of quantity × priceCents over the order's lines. Throws on an unknown product id. */
export function demoOrderTotalCents(order: Pick<DemoOrder, "lines">): number {
  let total = 0;
  for (const line of order.lines) {
    const product = productsById.get(line.productId);
    if (product === undefined) throw new Error(`Unknown demo product id: ${line.productId}`);
    total += line.quantity * product.priceCents;
  }
  return total;
}

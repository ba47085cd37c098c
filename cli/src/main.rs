fn main() {
    println!("freeport");
}

//! Renders the viewer's trust neighbourhood (computed by the core) as a PNG: the viewer in the
//! centre, partners on rings by hop, people outside the network on the right. Rendering only.

use std::f64::consts::PI;

use ab_glyph::{Font, FontVec, PxScale, ScaleFont};
use freeport_core::app::NeighbourhoodView;
use image::{Rgb, RgbImage};

const W: u32 = 1200;
const H: u32 = 800;

fn font() -> Option<FontVec> {
    for p in [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/System/Library/Fonts/Supplemental/Arial.ttf",
    ] {
        if let Ok(bytes) = std::fs::read(p)
            && let Ok(f) = FontVec::try_from_vec(bytes)
        {
            return Some(f);
        }
    }
    None
}

fn blend(img: &mut RgbImage, x: i64, y: i64, c: Rgb<u8>, a: f32) {
    if x < 0 || y < 0 || x >= i64::from(W) || y >= i64::from(H) {
        return;
    }
    let p = img.get_pixel_mut(x as u32, y as u32);
    for i in 0..3 {
        p.0[i] = (f32::from(p.0[i]) * (1.0 - a) + f32::from(c.0[i]) * a) as u8;
    }
}

fn line(img: &mut RgbImage, (x0, y0): (f64, f64), (x1, y1): (f64, f64), c: Rgb<u8>) {
    let steps = ((x1 - x0).abs().max((y1 - y0).abs()) as usize).max(1);
    for s in 0..=steps {
        let t = s as f64 / steps as f64;
        let x = x0 + (x1 - x0) * t;
        let y = y0 + (y1 - y0) * t;
        blend(img, x.round() as i64, y.round() as i64, c, 0.6);
    }
}

fn disc(img: &mut RgbImage, (cx, cy): (f64, f64), r: f64, c: Rgb<u8>) {
    let ri = r.ceil() as i64;
    for dy in -ri..=ri {
        for dx in -ri..=ri {
            let d = ((dx * dx + dy * dy) as f64).sqrt();
            if d <= r {
                blend(img, cx as i64 + dx, cy as i64 + dy, c, 1.0);
            }
        }
    }
}

fn text(img: &mut RgbImage, f: &FontVec, (x, y): (f64, f64), s: &str, c: Rgb<u8>, px: f32) {
    let scaled = f.as_scaled(PxScale::from(px));
    let mut caret = x as f32;
    for ch in s.chars() {
        let id = scaled.glyph_id(ch);
        let g = id.with_scale_and_position(px, ab_glyph::point(caret, y as f32));
        caret += scaled.h_advance(id);
        if let Some(o) = f.outline_glyph(g) {
            let b = o.px_bounds();
            o.draw(|gx, gy, cov| {
                blend(
                    img,
                    i64::from(b.min.x as i32) + i64::from(gx),
                    i64::from(b.min.y as i32) + i64::from(gy),
                    c,
                    cov,
                );
            });
        }
    }
}

/// Draws `n` to PNG bytes. `highlight` names subjects to mark (by pubkey hex).
pub fn neighbourhood_png(n: &NeighbourhoodView, title: &str) -> anyhow::Result<Vec<u8>> {
    let mut img = RgbImage::from_pixel(W, H, Rgb([250, 250, 247]));
    let f = font();
    let centre = (480.0, 420.0);
    let ring = [0.0, 150.0, 260.0, 350.0];
    // Positions: by hop on rings; outside the network on a column to the right.
    let mut by_hop: Vec<Vec<usize>> = vec![Vec::new(); 4];
    let mut outside = Vec::new();
    for (i, node) in n.nodes.iter().enumerate() {
        match node.hop {
            Some(h) if h <= 3 => by_hop[h as usize].push(i),
            _ => outside.push(i),
        }
    }
    let mut pos = vec![(0.0, 0.0); n.nodes.len()];
    for (h, members) in by_hop.iter().enumerate() {
        let k = members.len().max(1) as f64;
        for (j, &i) in members.iter().enumerate() {
            if h == 0 {
                pos[i] = centre;
            } else {
                let a = 2.0 * PI * (j as f64) / k + (h as f64) * 0.4;
                pos[i] = (centre.0 + ring[h] * a.cos(), centre.1 + ring[h] * a.sin());
            }
        }
    }
    let cols = 12usize;
    for (j, &i) in outside.iter().enumerate() {
        let (r, c) = (j / cols, j % cols);
        pos[i] = (900.0 + (c as f64) * 22.0, 140.0 + (r as f64) * 22.0);
    }
    for e in &n.edges {
        if let (Some(&a), Some(&b)) = (e.first(), e.get(1)) {
            let (a, b) = (a as usize, b as usize);
            if a < pos.len() && b < pos.len() {
                line(&mut img, pos[a], pos[b], Rgb([170, 170, 170]));
            }
        }
    }
    for (i, node) in n.nodes.iter().enumerate() {
        let (colour, r) = match node.hop {
            Some(0) => (Rgb([30, 90, 200]), 14.0),
            Some(_) => (Rgb([40, 150, 80]), 6.0 + 10.0 * node.trust.clamp(0.0, 1.0)),
            None => (Rgb([200, 70, 60]), 5.0),
        };
        disc(&mut img, pos[i], r, colour);
        if let (Some(f), Some(name)) = (&f, &node.name)
            && (node.hop.is_some() || outside.len() < 20)
        {
            text(
                &mut img,
                f,
                (pos[i].0 + r + 4.0, pos[i].1 + 5.0),
                name,
                Rgb([20, 20, 20]),
                16.0,
            );
        }
    }
    if let Some(f) = &f {
        text(&mut img, f, (20.0, 40.0), title, Rgb([10, 10, 10]), 26.0);
        text(
            &mut img,
            f,
            (20.0, 770.0),
            "blue: you · green: your network (size = trust) · red: outside your network (weightless)",
            Rgb([60, 60, 60]),
            16.0,
        );
        text(
            &mut img,
            f,
            (880.0, 110.0),
            &format!("outside your network: {}", outside.len()),
            Rgb([160, 50, 40]),
            18.0,
        );
    }
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)?;
    Ok(out)
}

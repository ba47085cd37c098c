// Top-level build file: plugin versions only; each module applies what it needs.
//
// AGP 9 compiles Kotlin itself ("built-in Kotlin"), so org.jetbrains.kotlin.android is never
// applied. AGP brings a Kotlin Gradle plugin of its own; putting ours on the build classpath
// upgrades it to the catalog's Kotlin version, which the Compose compiler plugin must match.
buildscript {
    dependencies {
        classpath(libs.kotlin.gradle.plugin)
    }
}

plugins {
    alias(libs.plugins.android.application) apply false
    alias(libs.plugins.android.library) apply false
    alias(libs.plugins.kotlin.compose) apply false
}
